// The local address connections leave from: --bind-address > the inventory's bind_address > ssh config's BindAddress,
// as OpenSSH's -b wins over its BindAddress; bad values are usage errors that name where they were written.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { run } from '../../../src/cli/main.ts';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';

const file = 'inventories/x.ini';
const load = (text: string, options: { ssh?: string; flag?: string } = {}) =>
  parseInventory(text, file, {
    homeDir: '/home/me',
    defaultUser: 'me',
    sshConfigText: options.ssh,
    bindAddress: options.flag,
  });
const addresses = (text: string, options: { ssh?: string; flag?: string } = {}) =>
  load(text, options).hosts.map((h) => h.bindAddress);

const inventory =
  '[defaults]\nbind_address = 127.0.0.2\n[group:g]\nhosts = a, b, c\nbind_address = 127.0.0.3\n[host:c]\nbind_address = ::1\n[host:d]\n';

test('bind_address follows [defaults] < groups < host, as the other settings', () => {
  assert.deepEqual(addresses(inventory), ['127.0.0.3', '127.0.0.3', '::1', '127.0.0.2']);
  assert.deepEqual(addresses('[host:a]\n'), [undefined]);
});

test("the inventory's bind_address wins over ssh config's BindAddress, which applies beneath it", () => {
  const ssh = 'Host *\n  BindAddress 127.0.0.9\n';
  assert.deepEqual(addresses('[host:a]\n[host:b]\nbind_address = 127.0.0.4\n', { ssh }), ['127.0.0.9', '127.0.0.4']);
});

test('--bind-address wins over the inventory and ssh config, for every host and its jump host', () => {
  const ssh = 'Host *\n  BindAddress 127.0.0.9\n';
  const hosts = load(`${inventory}[host:e]\njump = d\n`, { ssh, flag: '127.0.0.7' }).hosts;
  assert.deepEqual(
    hosts.map((h) => h.bindAddress),
    ['127.0.0.7', '127.0.0.7', '127.0.0.7', '127.0.0.7', '127.0.0.7'],
  );
  assert.equal(hosts[4]?.jump?.bindAddress, '127.0.0.7');
});

test("a jump host outside the inventory takes [defaults]' bind_address, as its other connection settings", () => {
  const [a] = load('[defaults]\nbind_address = 127.0.0.2\n[host:a]\n', { ssh: 'Host a\n  ProxyJump edge\n' }).hosts;
  assert.equal(a?.jump?.name, 'edge');
  assert.equal(a?.jump?.bindAddress, '127.0.0.2');
});

test('a bind_address that is not an IP address names file, line, section, value and what was expected', () => {
  assert.throws(
    () => load('[defaults]\nbind_address = laptop.local\n[host:a]\nbind_address = 127.0.0.256\n'),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(error.problems, [
        "inventories/x.ini:2: [defaults] bind_address: 'laptop.local' is not an IP address (expected an IP address of this machine, e.g. 127.0.0.2 or 2001:db8::5)",
        "inventories/x.ini:4: [host:a] bind_address: '127.0.0.256' is not an IP address (expected an IP address of this machine, e.g. 127.0.0.2 or 2001:db8::5)",
      ]);
      return true;
    },
  );
});

test("ssh config's BindAddress is checked when it is the one used, and not when the inventory replaces it", () => {
  const ssh = 'Host a b\n  BindAddress eth0.example\n';
  assert.throws(() => load('[host:a]\n', { ssh }), {
    message: /Host 'a': BindAddress 'eth0\.example' is not an IP address/,
  });
  assert.deepEqual(addresses('[host:a]\n[host:b]\n', { ssh, flag: '127.0.0.2' }), ['127.0.0.2', '127.0.0.2']);
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stderr = '';
  let stdout = '';
  const code = await run(argv, {
    env: {},
    stderr: (t) => {
      stderr += t;
    },
    stdout: (t) => {
      stdout += t;
    },
  });
  return { code, stdout, stderr };
}

test('--bind-address reaches every host (convoy hosts --json); a bad one is exit 2 naming flag and value', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-bind-'));
  try {
    const ini = path.join(dir, 'fleet.ini');
    await writeFile(ini, '[defaults]\nbind_address = 127.0.0.3\n[host:a]\n[host:b]\nbind_address = 127.0.0.4\n');
    const plain = await cli('-i', ini, '--json', 'hosts');
    const flagged = await cli('-i', ini, '--json', '--bind-address', '127.0.0.2', 'hosts');
    const bound = (out: string) =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; bindAddress?: string })
        .filter((l) => l.type === 'result')
        .map((l) => l.bindAddress);
    assert.deepEqual(bound(plain.stdout), ['127.0.0.3', '127.0.0.4']);
    assert.deepEqual(bound(flagged.stdout), ['127.0.0.2', '127.0.0.2']);
    const bad = await cli('-i', ini, '--bind-address', 'my-laptop', 'hosts');
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /option '--bind-address <addr>' argument 'my-laptop' is invalid\. 'my-laptop' is not an IP address/,
    );
    assert.equal(bad.stdout, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
