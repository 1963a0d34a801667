import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  confValueProblem,
  environmentValueProblem,
  escapePercent,
  quoteEnvironmentValue,
  unknownExpansions,
} from '../../../src/tasks/supervisor-values.ts';

const once = { keepExpansions: true, passes: 1 } as const;

test("every % is doubled except in Supervisor's own expansions", () => {
  assert.equal(escapePercent('date +%Y-%m-%d', once), 'date +%%Y-%%m-%%d');
  assert.equal(escapePercent('--port 80%(process_num)02d', once), '--port 80%(process_num)02d');
  assert.equal(escapePercent('%(here)s/x %(ENV_HOME)s %(numprocs)d', once), '%(here)s/x %(ENV_HOME)s %(numprocs)d');
  assert.equal(escapePercent('100% %(program_name)s 5%', once), '100%% %(program_name)s 5%%');
  assert.equal(escapePercent('%%', once), '%%%%');
  assert.equal(escapePercent('%(unterminated', once), '%%(unterminated');
  assert.equal(escapePercent('%(no_type)', once), '%%(no_type)');
  assert.equal(escapePercent('no percent', once), 'no percent');
});

test('values escape every %, and twice-expanded options escape twice', () => {
  assert.equal(escapePercent('50%(x)s', { keepExpansions: false, passes: 1 }), '50%%(x)s');
  assert.equal(
    escapePercent('/log/100%-%(process_num)02d', { keepExpansions: true, passes: 2 }),
    '/log/100%%%%-%(process_num)02d',
  );
  assert.equal(escapePercent('a%b', { keepExpansions: false, passes: 2 }), 'a%%%%b');
});

test('unknown expansion names are found; ENV_ names and the program ones are known', () => {
  assert.deepEqual(unknownExpansions('%(proces_num)02d %(process_num)02d %(ENV_PATH)s %(here)s %(foo)d'), [
    'proces_num',
    'foo',
  ]);
  assert.deepEqual(unknownExpansions('100% sure'), []);
});

test('line breaks and whitespace before ; or # cannot be written into a .conf value', () => {
  assert.equal(confValueProblem('a\nb'), 'contains a line break (Supervisor reads one line per option)');
  assert.equal(confValueProblem('a\rb'), 'contains a line break (Supervisor reads one line per option)');
  assert.equal(
    confValueProblem("sh -c 'a ; b'"),
    "contains ' ;', which Supervisor reads as the start of a comment (remove the space before ';')",
  );
  assert.equal(
    confValueProblem('x\t#y'),
    "contains ' #', which Supervisor reads as the start of a comment (remove the space before '#')",
  );
  assert.equal(
    confValueProblem("sh -c 'a; b' #1"),
    "contains ' #', which Supervisor reads as the start of a comment (remove the space before '#')",
  );
  assert.equal(confValueProblem("sh -c 'cd /x; exec y' a#b"), undefined);
});

test('environment values may hold one kind of quote, not at either end', () => {
  assert.equal(
    environmentValueProblem(`it's "x"`),
    `contains both ' and ", which Supervisor's environment syntax cannot quote`,
  );
  assert.equal(environmentValueProblem('"x'), 'starts or ends with a quote, which Supervisor strips');
  assert.equal(environmentValueProblem("x'"), 'starts or ends with a quote, which Supervisor strips');
  assert.equal(
    environmentValueProblem('a ;b'),
    "contains ' ;', which Supervisor reads as the start of a comment (remove the space before ';')",
  );
  assert.equal(environmentValueProblem('say "hi" now'), undefined);
  assert.equal(environmentValueProblem(''), undefined);
});

test('environment values are always quoted, in single quotes when they hold a double quote', () => {
  assert.equal(quoteEnvironmentValue('x,y'), '"x,y"');
  assert.equal(quoteEnvironmentValue("it's"), `"it's"`);
  assert.equal(quoteEnvironmentValue('say "hi" now'), `'say "hi" now'`);
  assert.equal(quoteEnvironmentValue(''), '""');
});
