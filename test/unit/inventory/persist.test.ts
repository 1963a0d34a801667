// `persist` of [defaults] (issue 19): the inventory turns `--persist` on for a team; refused outside [defaults] and
// never a variable; a bad value is named by file, line, key and value before anything connects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';
import { parsePersist } from '../../../src/inventory/persist.ts';

const file = 'inventories/x.ini';
const options = { homeDir: '/home/me', defaultUser: 'me' };
const expected =
  "expected no, or a duration above 0, at most 1h (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m')";

function problems(text: string): string[] {
  try {
    parseInventory(text, file, options);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  return assert.fail('expected a ValidationError');
}

test('persist takes what --persist takes (above 0, at most 1h), or no for off', () => {
  assert.deepEqual(parsePersist('60s'), { value: 60_000 });
  assert.deepEqual(parsePersist('30'), { value: 30_000 });
  assert.deepEqual(parsePersist('1.5m'), { value: 90_000 });
  assert.deepEqual(parsePersist('1h'), { value: 3_600_000 });
  assert.deepEqual(parsePersist('no'), { value: undefined });
  assert.deepEqual(parsePersist('No'), { value: undefined });
  for (const bad of ['0', '2h', '61m', 'soon', 'yes', '-5s', ''])
    assert.deepEqual(parsePersist(bad), { error: `'${bad}' is not valid (${expected})` }, bad);
});

test('[defaults] persist loads into the inventory; no or unset leaves it off; it is not a variable', () => {
  const on = parseInventory('[defaults]\nuser = me\npersist = 60s\n\n[host:a]\n', file, options);
  assert.equal(on.persistMs, 60_000);
  assert.equal(on.hosts[0]?.vars.persist, undefined, 'persist is not a variable');
  assert.equal(parseInventory('[defaults]\npersist = no\n[host:a]\n', file, options).persistMs, undefined);
  assert.equal(parseInventory('[host:a]\n', file, options).persistMs, undefined);
});

test('persist in a group or a host, a bad value and a misspelt key: each named by file, line and key', () => {
  const text = [
    '[defaults]',
    'persist = 2h',
    'persits = 60s',
    '[group:web]',
    'hosts = a',
    'persist = 60s',
    '[host:a]',
    'persist = no',
  ].join('\n');
  assert.deepEqual(problems(text), [
    `inventories/x.ini:2: [defaults] persist: '2h' is not valid (${expected})`,
    "inventories/x.ini:3: [defaults] persits: unknown setting (did you mean 'persist'? a variable must not look like a setting)",
    "inventories/x.ini:6: [group:web] persist: only allowed in [defaults] (one background process keeps the whole run's connections, not a host's)",
    "inventories/x.ini:8: [host:a] persist: only allowed in [defaults] (one background process keeps the whole run's connections, not a host's)",
  ]);
  assert.deepEqual(problems('[defaults]\npersist =\n[host:a]\n'), [
    `inventories/x.ini:2: [defaults] persist: '' is not valid (${expected})`,
  ]);
});
