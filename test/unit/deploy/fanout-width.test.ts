// The fan-out width of a deploy: --fanout over the app's `fanout` over the inventory's, and where each is checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { fanoutWidth } from '../../../src/deploy/fanout.ts';
import { parseInventory } from '../../../src/inventory/index.ts';
import { validateApp } from '../../../src/tasks/validate.ts';

const load = (text: string) =>
  parseInventory(text, 'inventories/x.ini', { homeDir: '/home/me', defaultUser: 'me', sshConfigText: undefined });

test('inventory fanout and relay follow [defaults] < groups < host', () => {
  const { hosts } = load(
    '[defaults]\nfanout = 2\n[group:g]\nhosts = a, b, c\nrelay = no\n[host:b]\nfanout = 4\nrelay = yes\n',
  );
  assert.deepEqual(
    hosts.map((h) => [h.name, h.fanout, h.relay]),
    [
      ['a', 2, false],
      ['b', 4, true],
      ['c', 2, false],
    ],
  );
});

test('bad inventory values name the key and what was expected', () => {
  try {
    load('[host:a]\nfanout = 9\nrelay = maybe\n');
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    const text = error.problems.join('\n');
    assert.match(text, /fanout.*'9' is not valid \(expected an integer from 0 to 8\)/);
    assert.match(text, /relay.*'maybe' is not a boolean/);
  }
});

test('the app may set fanout (0 to 8)', () => {
  const base = { name: 'a', root: '/srv/a', programs: { a: { command: '/bin/true' } } };
  assert.equal(validateApp({ ...base, fanout: 3 }).app?.fanout, 3);
  assert.equal(validateApp(base).app?.fanout, undefined);
  const bad = validateApp({ ...base, fanout: 20 });
  assert.match(JSON.stringify(bad.problems), /fanout.*an integer from 0 to 8/);
});

test('the flag wins over the app, the app over the inventory; 0 turns fan-out off', () => {
  const { hosts } = load('[host:a]\nfanout = 1\n[host:b]\nfanout = 3\n[host:c]\n');
  const [a, b, c] = hosts;
  assert.deepEqual([fanoutWidth(2, 5, hosts)?.controller, fanoutWidth(2, 5, hosts)?.of(c!)], [2, 2]);
  assert.equal(fanoutWidth(undefined, 4, hosts)?.controller, 4);
  assert.equal(fanoutWidth(0, 4, hosts), undefined);
  assert.equal(fanoutWidth(undefined, 0, hosts), undefined);
  const inventory = fanoutWidth(undefined, undefined, hosts);
  assert.deepEqual([inventory?.controller, inventory?.of(a!), inventory?.of(b!), inventory?.of(c!)], [3, 1, 3, 0]);
  assert.equal(fanoutWidth(undefined, undefined, [c!]), undefined);
});
