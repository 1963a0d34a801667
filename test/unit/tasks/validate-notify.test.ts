// An app's `notify`: one webhook or a list, each a URL or a secret source; problems name the key and hide the URL's path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateApp } from '../../../src/tasks/validate.ts';

const base = { name: 'web', root: '/srv/web', programs: { web: { command: 'node server.js' } } };

function problems(notify: unknown): string[] {
  const result = validateApp({ ...base, notify });
  assert.equal(result.app, undefined, 'an app with problems must not be returned');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

test('notify normalises to entries with their keys; without it the app has none', () => {
  const list = validateApp({ ...base, notify: ['https://hooks.example.com/T0/B0/x', { env: 'SLACK_HOOK' }] });
  assert.deepEqual(list.app?.notify, [
    { key: 'notify[0]', source: { url: 'https://hooks.example.com/T0/B0/x' } },
    { key: 'notify[1]', source: { env: 'SLACK_HOOK' } },
  ]);
  const one = validateApp({ ...base, notify: { command: 'pass show slack/hook' } });
  assert.deepEqual(one.app?.notify, [{ key: 'notify', source: { command: 'pass show slack/hook' } }]);
  assert.equal('notify' in (validateApp(base).app ?? {}), false);
});

test('a bad URL, a bad source and a wrong type are each reported, the URL by its host only', () => {
  const found = problems([
    'ftp://files.example.com/T0/B0/SECRET',
    { env: 'SLACK-HOOK' },
    { env: 'A', file: 'b' },
    { url: 'https://x.example/' },
    42,
  ]);
  assert.deepEqual(found, [
    "notify[0]: 'ftp://files.example.com/…' is not http or https (expected an http:// or https:// URL)",
    "notify[1].env: 'SLACK-HOOK' is not an environment variable name",
    'notify[2]: expected exactly one of env, file or command, got env and file',
    'notify[3].url: unknown key (expected one of env, file, command)',
    'notify[3]: expected exactly one of env, file or command, got none',
    'notify[4]: expected a URL or { env | file | command } (a secret source), got 42',
  ]);
  assert.deepEqual(problems([]), ['notify: empty list (expected webhook URLs, or leave notify out)']);
});
