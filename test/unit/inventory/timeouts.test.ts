// Connection timeouts as OpenSSH and Ansible users set them: inventory settings, the --timeout flag, and which wins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../../src/cli/main.ts';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';
import { timeoutsFor, timeoutsFromFlag } from '../../../src/ssh/connect.ts';
import type { ConnectSettings } from '../../../src/ssh/connect.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';

const file = 'inventories/x.ini';
const load = (text: string) =>
  parseInventory(text, file, { homeDir: '/home/me', defaultUser: 'me', sshConfigText: undefined });

test('connect_timeout and server_alive_* follow [defaults] < groups < host', () => {
  const inventory = load(
    '[defaults]\nconnect_timeout = 4\nserver_alive_interval = 2s\n[group:g]\nhosts = a, b\nserver_alive_count_max = 5\n[host:b]\nconnect_timeout = 1500ms\nserver_alive_interval = 0\n',
  );
  const [a, b] = inventory.hosts;
  assert.deepEqual([a?.connectTimeoutMs, a?.serverAliveIntervalMs, a?.serverAliveCountMax], [4000, 2000, 5]);
  assert.deepEqual([b?.connectTimeoutMs, b?.serverAliveIntervalMs, b?.serverAliveCountMax], [1500, 0, 5]);
});

test('bad timeout values name file, line, key, value and what was expected', () => {
  try {
    load(
      '[host:a]\nconnect_timeout = 0\nserver_alive_interval = soon\nserver_alive_count_max = 0\nconect_timeout = 5\n',
    );
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(error.problems, [
      "inventories/x.ini:2: [host:a] connect_timeout: '0' is not valid (expected a duration above 0, at most 1h (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'))",
      "inventories/x.ini:3: [host:a] server_alive_interval: 'soon' is not valid (expected a duration of at most 1h, or 0 for no keepalives (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'))",
      "inventories/x.ini:4: [host:a] server_alive_count_max: '0' is not valid (expected an integer from 1 to 100)",
      "inventories/x.ini:5: [host:a] conect_timeout: unknown setting (did you mean 'connect_timeout'? a variable must not look like a setting)",
    ]);
  }
});

test("--timeout wins over the inventory; without it the host's own, then the defaults", () => {
  const settings: ConnectSettings = {
    knownHosts: new KnownHostsStore([]),
    acceptNewHostKeys: false,
    connectTimeoutMs: 10_000,
    serverAliveIntervalMs: 15_000,
  };
  const host = { name: 'a', address: 'a', port: 22, user: 'me', identityFiles: [], connectTimeoutMs: 3000 };
  assert.deepEqual(timeoutsFor(host, settings), {
    connectTimeoutMs: 3000,
    serverAliveIntervalMs: 15_000,
    serverAliveCountMax: 3,
  });
  assert.deepEqual(timeoutsFor(host, { ...settings, override: timeoutsFromFlag(2000) }), {
    connectTimeoutMs: 2000,
    serverAliveIntervalMs: 500,
    serverAliveCountMax: 3,
  });
});

test('a bad --timeout names the flag, the value and what was expected; exit 2', async () => {
  let stderr = '';
  const code = await run(['--timeout', '5x', 'hosts'], {
    stderr: (t) => {
      stderr += t;
    },
    env: {},
  });
  assert.equal(code, 2);
  assert.match(
    stderr,
    /option '--timeout <duration>' argument '5x' is invalid\. expected a duration above 0, at most 1h \(seconds, or a number with a unit: '10', '500ms', '2\.5s', '1m'\), got '5x'/,
  );
});

test('a variable key no {{name}} template could use is refused', () => {
  try {
    load('[host:a]\napp port = 1\n$(x) = 2\nok_name-1.x = 3\n');
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(
      error.problems.map((p) => p.replace(/ \(expected.*/, '')),
      [
        "inventories/x.ini:2: [host:a] app port: 'app port' is not a valid variable name",
        "inventories/x.ini:3: [host:a] $(x): '$(x)' is not a valid variable name",
      ],
    );
  }
});

test('step_timeout: a duration per host (0 for none), a bad one named with its line', () => {
  const inventory = load('[defaults]\nstep_timeout = 20m\n[host:a]\n[host:b]\nstep_timeout = 0\n');
  assert.deepEqual(
    inventory.hosts.map((h) => h.stepTimeoutMs),
    [1_200_000, 0],
  );
  assert.throws(() => load('[host:a]\nstep_timeout = forever\n'), {
    message:
      /x\.ini:2: \[host:a\] step_timeout: 'forever' is not valid \(expected a duration of at most 24h, or 0 for no limit/,
  });
});
