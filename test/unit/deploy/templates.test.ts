import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTemplate, templateNames } from '../../../src/deploy/templates.ts';
import { UsageError } from '../../../src/errors.ts';

const vars = { port: '8080', address: '10.0.0.1', 'app-port': '9000', 'db.host': 'db1' };

test('placeholders are replaced, with or without spaces inside the braces', () => {
  assert.equal(
    renderTemplate('--host {{address}} --port {{ port }} --again {{  port}}', vars),
    '--host 10.0.0.1 --port 8080 --again 8080',
  );
  assert.equal(renderTemplate('{{app-port}}/{{db.host}}', vars), '9000/db1');
  assert.equal(renderTemplate('no placeholders', vars), 'no placeholders');
  assert.equal(renderTemplate('', vars), '');
});

test('what is not a name is left as it is: Go templates, single braces, unclosed placeholders', () => {
  const text = "docker inspect -f '{{.State.Running}}' {{json .}} {port} {{ port } {{}}";
  assert.equal(renderTemplate(text, vars), text);
  assert.deepEqual(templateNames(text), []);
});

test('an undefined name is a usage error, with the closest defined name when there is one', () => {
  assert.throws(
    () => renderTemplate('--port {{prot}}', vars),
    (error: unknown) =>
      error instanceof UsageError && error.message === '{{prot}} is not defined (did you mean {{port}}?)',
  );
  assert.throws(
    () => renderTemplate('{{nothing_like_it}}', vars),
    (error: unknown) => error instanceof UsageError && error.message === '{{nothing_like_it}} is not defined',
  );
  assert.throws(
    () => renderTemplate('{{toString}}', vars),
    (error: unknown) => error instanceof UsageError && error.message === '{{toString}} is not defined',
  );
});

test('the text and the values can be escaped differently', () => {
  const escape = { literal: (text: string) => text.toUpperCase(), value: (text: string) => `<${text}>` };
  assert.equal(renderTemplate('port {{port}} on {{ address }}!', vars, escape), 'PORT <8080> ON <10.0.0.1>!');
});

test('templateNames lists each name once, in order of first use', () => {
  assert.deepEqual(templateNames('{{ port }} {{address}} {{port}} {{root}}/{{db.host}}'), [
    'port',
    'address',
    'root',
    'db.host',
  ]);
});
