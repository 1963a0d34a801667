import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';
import type { HostConfig, Inventory } from '../../../src/inventory/index.ts';

const options = { homeDir: '/home/me', defaultUser: 'me', sshConfigFile: '/home/me/.ssh/config' };
const parse = (text: string, sshConfigText?: string): Inventory =>
  parseInventory(text, 'inventories/x.ini', { ...options, sshConfigText });
const host = (inventory: Inventory, name: string): HostConfig =>
  inventory.hosts.find((h) => h.name === name) ?? assert.fail(`no host ${name}`);
const chain = (config: HostConfig | undefined): string[] => (config ? [config.name, ...chain(config.jump)] : []);

function problems(text: string, sshConfigText?: string): string[] {
  try {
    parse(text, sshConfigText);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  return assert.fail('expected a ValidationError');
}

test('jump names an inventory host, and is that very host config', () => {
  const inventory = parse(
    '[host:bastion]\naddress = 203.0.113.1\nuser = ops\n[group:web]\nhosts = web[1:2]\njump = bastion\n',
  );
  const bastion = host(inventory, 'bastion');
  assert.equal(host(inventory, 'web1').jump, bastion);
  assert.equal(host(inventory, 'web2').jump, bastion);
  assert.equal(bastion.jump, undefined);
  assert.deepEqual([bastion.address, bastion.user], ['203.0.113.1', 'ops']);
});

test('jump chains are resolved recursively', () => {
  const inventory = parse(
    '[host:web1]\njump = inner\n[host:inner]\njump = outer\n[host:outer]\naddress = 198.51.100.7\n',
  );
  assert.deepEqual(chain(host(inventory, 'web1')), ['web1', 'inner', 'outer']);
  assert.equal(host(inventory, 'web1').jump?.jump?.address, '198.51.100.7');
});

test('ssh config ProxyJump to an inventory host uses the inventory host', () => {
  const inventory = parse(
    '[host:bastion]\naddress = 203.0.113.1\nuser = ops\n[host:web1]\n',
    'Host web1\n  ProxyJump bastion\n',
  );
  assert.equal(host(inventory, 'web1').jump, host(inventory, 'bastion'));
});

test('user and port written in a ProxyJump override the inventory host', () => {
  const inventory = parse(
    '[host:bastion]\naddress = 203.0.113.1\nuser = ops\nsudo = yes\n[host:web1]\n',
    'Host web1\n  ProxyJump admin@bastion:2222\n',
  );
  const jump = host(inventory, 'web1').jump;
  assert.deepEqual(jump && [jump.name, jump.address, jump.user, jump.port, jump.sudo], [
    'bastion',
    '203.0.113.1',
    'admin',
    2222,
    true,
  ]);
  assert.equal(host(inventory, 'bastion').user, 'ops');
});

test('a ProxyJump host outside the inventory is built from ssh config, then [defaults]', () => {
  const ssh = 'Host web1\n  ProxyJump gw\nHost gw\n  HostName 192.0.2.10\n  Port 2201\n  IdentityFile ~/.ssh/gw\n';
  const inventory = parse(
    '[defaults]\nuser = deploy\nport = 22\nidentity = /keys/fleet\nknown_hosts = /keys/known_hosts\nsudo = yes\nv = 1\n[host:web1]\n',
    ssh,
  );
  assert.deepEqual(host(inventory, 'web1').jump, {
    name: 'gw',
    address: '192.0.2.10',
    port: 2201,
    user: 'deploy',
    identityFiles: ['/keys/fleet', '/home/me/.ssh/gw'],
    sudo: false,
    knownHosts: '/keys/known_hosts',
    vars: {},
    groups: [],
  });
});

test('for a host outside the inventory, its ssh config User beats [defaults]', () => {
  const inventory = parse(
    '[defaults]\nuser = deploy\n[host:web1]\n',
    'Host web1\n  ProxyJump gw\nHost gw\n  User jdoe\n',
  );
  assert.deepEqual([host(inventory, 'web1').user, host(inventory, 'web1').jump?.user], ['deploy', 'jdoe']);
});

test('a ProxyJump user@host:port for an outside host is applied', () => {
  const inventory = parse('[host:web1]\n', 'Host web1\n  ProxyJump ops@gw.example.com:2200\n');
  const jump = host(inventory, 'web1').jump;
  assert.deepEqual(jump && [jump.name, jump.address, jump.user, jump.port], [
    'gw.example.com',
    'gw.example.com',
    'ops',
    2200,
  ]);
});

test('an outside jump host follows its own ProxyJump', () => {
  const inventory = parse('[host:web1]\n', 'Host web1\n  ProxyJump inner\nHost inner\n  ProxyJump outer\n');
  assert.deepEqual(chain(host(inventory, 'web1')), ['web1', 'inner', 'outer']);
});

test('ProxyJump a,b reaches the host through a then b', () => {
  const inventory = parse(
    '[host:web1]\n[host:b]\njump = elsewhere\n[host:elsewhere]\n',
    'Host web1\n  ProxyJump a,b\nHost a\n  ProxyJump first\n',
  );
  assert.deepEqual(chain(host(inventory, 'web1')), ['web1', 'b', 'a', 'first']);
  assert.deepEqual(chain(host(inventory, 'b')), ['b', 'elsewhere']);
});

test('the inventory jump beats ssh config ProxyJump, and jump = none cancels it', () => {
  const ssh = 'Host gw\n  ProxyJump none\nHost *\n  ProxyJump gw\n';
  const inventory = parse('[host:bastion]\njump = none\n[host:web1]\njump = bastion\n[host:web2]\n', ssh);
  assert.deepEqual(chain(host(inventory, 'web1')), ['web1', 'bastion']);
  assert.deepEqual(chain(host(inventory, 'web2')), ['web2', 'gw']);
});

test('ProxyJump none in ssh config means no jump', () => {
  const inventory = parse('[host:web1]\n', 'Host web1\n  ProxyJump none\nHost *\n  ProxyJump gw\n');
  assert.equal(host(inventory, 'web1').jump, undefined);
});

test('a cycle through ssh config only is reported against the ssh config', () => {
  assert.deepEqual(
    problems('[host:web1]\n', 'Host web1\n  ProxyJump a\nHost a\n  ProxyJump b\nHost b\n  ProxyJump a\n'),
    ['/home/me/.ssh/config: ProxyJump cycle a -> b -> a'],
  );
});

test('a cycle mixing inventory and ssh config is reported at the inventory line', () => {
  assert.deepEqual(problems('[host:a]\njump = b\n[host:b]\n', 'Host b\n  ProxyJump a\n'), [
    'inventories/x.ini:2: [host:a] jump: cycle a -> b -> a',
  ]);
});

test('Host * ProxyJump through an inventory host makes that host jump through itself', () => {
  assert.deepEqual(problems('[host:bastion]\n[host:web1]\n', 'Host *\n  ProxyJump bastion\n'), [
    '/home/me/.ssh/config: ProxyJump cycle bastion -> bastion',
  ]);
});
