import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UsageError, ValidationError } from '../../../src/errors.ts';
import { loadInventory, parseInventory, resolveTarget } from '../../../src/inventory/index.ts';
import { inventoryText, planSandbox } from '../../../src/sandbox/plan.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-inventory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const home = path.join(dir, 'home');
mkdirSync(path.join(home, '.ssh'), { recursive: true });
mkdirSync(path.join(dir, 'project', 'inventories'), { recursive: true });
const inventoryFile = path.join(dir, 'project', 'inventories', 'prod.ini');
writeFileSync(inventoryFile, '[defaults]\nidentity = ../keys/deploy\n[group:web]\nhosts = web[1:2]\n');

test('loads the file, with ssh config from <homeDir>/.ssh/config by default', () => {
  writeFileSync(path.join(home, '.ssh', 'config'), 'Host web1\n  User fromssh\n');
  try {
    const inventory = loadInventory(inventoryFile, { homeDir: home, defaultUser: 'me' });
    assert.equal(inventory.file, inventoryFile);
    assert.deepEqual(
      inventory.hosts.map((h) => [h.name, h.user]),
      [
        ['web1', 'fromssh'],
        ['web2', 'me'],
      ],
    );
    assert.deepEqual(inventory.hosts[0]?.identityFiles, [path.join(dir, 'project', 'keys', 'deploy')]);
  } finally {
    rmSync(path.join(home, '.ssh', 'config'));
  }
});

test('an explicit sshConfigFile is read instead', () => {
  const other = path.join(dir, 'other_config');
  writeFileSync(other, 'Host web2\n  Port 2202\n');
  const inventory = loadInventory(inventoryFile, { homeDir: home, defaultUser: 'me', sshConfigFile: other });
  assert.deepEqual(
    inventory.hosts.map((h) => h.port),
    [22, 2202],
  );
});

test('a missing ssh config is fine', () => {
  const inventory = loadInventory(inventoryFile, {
    homeDir: home,
    defaultUser: 'me',
    sshConfigFile: path.join(dir, 'nope'),
  });
  assert.deepEqual(
    inventory.hosts.map((h) => [h.name, h.address, h.port, h.user]),
    [
      ['web1', 'web1', 22, 'me'],
      ['web2', 'web2', 22, 'me'],
    ],
  );
});

test('problems in the ssh config name its path', () => {
  const bad = path.join(dir, 'bad_config');
  writeFileSync(bad, 'Host web1\n  Port x\n');
  assert.throws(() => loadInventory(inventoryFile, { homeDir: home, sshConfigFile: bad }), {
    name: 'ValidationError',
    message: `${inventoryFile}: 1 problem\n  - ${bad}: Host 'web1': Port 'x' is not a port (expected an integer from 1 to 65535)`,
  });
});

test('a missing inventory is a usage error that says what to do', () => {
  const missing = 'inventories/nope.ini';
  assert.throws(
    () => loadInventory(path.join(dir, missing)),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.ok(!(error instanceof ValidationError));
      assert.equal(error.exitCode, 2);
      assert.equal(
        error.message,
        `inventory '${path.join(dir, missing)}' not found (pass -i <file>, or run 'convoy sandbox up' to create a sandbox fleet)`,
      );
      return true;
    },
  );
});

test('an inventory that cannot be read is a usage error with the cause', () => {
  assert.throws(
    () => loadInventory(dir, { homeDir: home }),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.ok(error.message.startsWith(`cannot read inventory '${dir}': EISDIR`), error.message);
      assert.ok(error.cause instanceof Error);
      return true;
    },
  );
});

test('an unreadable ssh config is a usage error, unlike a missing one', () => {
  assert.throws(
    () => loadInventory(inventoryFile, { homeDir: home, sshConfigFile: dir }),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.ok(error.message.startsWith(`cannot read ssh config '${dir}': EISDIR`), error.message);
      return true;
    },
  );
});

test('parse problems carry the file name as given', () => {
  assert.throws(() => parseInventory('[host:a]\nport = x\n', 'inventories/given.ini'), {
    message:
      "inventories/given.ini: 1 problem\n  - inventories/given.ini:2: [host:a] port: 'x' is not a port (expected an integer from 1 to 65535)",
  });
});

test('the inventory `convoy sandbox up` writes loads as the sandbox fleet', () => {
  const stateDir = path.join(dir, 'project', '.convoy', 'sandbox');
  const plan = planSandbox({
    hosts: 3,
    bare: false,
    stateDir,
    port: 2222,
    firstAddress: '127.0.1.1',
    inventoryFile: path.join(dir, 'project', 'inventories', 'sandbox.ini'),
  });
  const text = inventoryText(plan);
  const inventory = parseInventory(text, plan.options.inventoryFile, { homeDir: home, defaultUser: 'me' });
  const groupLine = text.split('\n').indexOf('[group:sandbox]') + 1;
  assert.ok(groupLine > 1);
  assert.deepEqual(inventory.groups, [
    { name: 'sandbox', hosts: ['sandbox-1', 'sandbox-2', 'sandbox-3'], children: [], line: groupLine },
  ]);
  assert.deepEqual(inventory.hosts[1], {
    name: 'sandbox-2',
    address: '127.0.1.2',
    port: 2222,
    user: 'root',
    identityFiles: [plan.clientKeyFile],
    sudo: false,
    knownHosts: plan.knownHostsFile,
    vars: {},
    groups: ['sandbox'],
  });
  assert.deepEqual(
    resolveTarget(inventory, 'sandbox').map((h) => h.address),
    ['127.0.1.1', '127.0.1.2', '127.0.1.3'],
  );
});
