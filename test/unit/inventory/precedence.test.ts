import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInventory } from '../../../src/inventory/index.ts';
import type { HostConfig, Inventory } from '../../../src/inventory/index.ts';

const options = { homeDir: '/home/me', defaultUser: 'me' };
const parse = (text: string): Inventory => parseInventory(text, '/p/inventories/x.ini', options);
const host = (inventory: Inventory, name: string): HostConfig =>
  inventory.hosts.find((h) => h.name === name) ?? assert.fail(`no host ${name}`);

test('a host with nothing set gets the built-in defaults', () => {
  const inventory = parse('[host:web1]\n');
  assert.deepEqual(inventory.hosts, [
    { name: 'web1', address: 'web1', port: 22, user: 'me', identityFiles: [], sudo: false, vars: {}, groups: [] },
  ]);
});

test('without defaultUser, the user is $USER, else root', () => {
  const saved = process.env.USER;
  try {
    process.env.USER = 'alice';
    assert.equal(parseInventory('[host:a]\n', 'x.ini', { homeDir: '/h' }).hosts[0]?.user, 'alice');
    delete process.env.USER;
    assert.equal(parseInventory('[host:a]\n', 'x.ini', { homeDir: '/h' }).hosts[0]?.user, 'root');
  } finally {
    if (saved === undefined) delete process.env.USER;
    else process.env.USER = saved;
  }
});

test('every setting is read into the host', () => {
  const inventory = parse(
    '[host:a]\naddress = 10.0.0.1\nport = 2222\nuser = deploy\nidentity = /keys/id\nsudo = yes\nsupervisor_conf = /etc/supervisord.conf\nknown_hosts = /keys/known_hosts\ncolor = blue\n',
  );
  assert.deepEqual(inventory.hosts[0], {
    name: 'a',
    address: '10.0.0.1',
    port: 2222,
    user: 'deploy',
    identityFiles: ['/keys/id'],
    sudo: true,
    supervisorConf: '/etc/supervisord.conf',
    knownHosts: '/keys/known_hosts',
    vars: { color: 'blue' },
    groups: [],
  });
});

test('defaults < parent group < child group < host', () => {
  const inventory = parse(
    [
      '[defaults]',
      'user = d',
      'port = 1001',
      'a = defaults',
      'b = defaults',
      'c = defaults',
      'd = defaults',
      '[host:h]',
      'd = host',
      '[group:child]',
      'hosts = h',
      'port = 1003',
      'b = child',
      'c = child',
      '[group:parent]',
      'children = child',
      'port = 1002',
      'user = p',
      'b = parent',
    ].join('\n'),
  );
  const h = host(inventory, 'h');
  assert.deepEqual(h.vars, { a: 'defaults', b: 'child', c: 'child', d: 'host' });
  assert.equal(h.port, 1003);
  assert.equal(h.user, 'p');
});

test('a host section beats every group, wherever it is in the file', () => {
  const inventory = parse('[host:h]\nuser = host\n[group:g]\nhosts = h\nuser = group\n');
  assert.equal(host(inventory, 'h').user, 'host');
});

test('two groups at the same depth apply in file order: the later one wins', () => {
  const inventory = parse(
    '[group:first]\nhosts = h\nuser = first\nx = first\n[group:second]\nhosts = h\nuser = second\n',
  );
  assert.equal(host(inventory, 'h').user, 'second');
  assert.deepEqual(host(inventory, 'h').vars, { x: 'first' });
  const swapped = parse('[group:second]\nhosts = h\nuser = second\n[group:first]\nhosts = h\nuser = first\n');
  assert.equal(host(swapped, 'h').user, 'first');
});

test('a child group beats its parent even when the parent comes later in the file', () => {
  const inventory = parse(
    '[group:child]\nhosts = h\nuser = child\n[group:other]\nhosts = h\nuser = other\n[group:parent]\nchildren = child\nuser = parent\n',
  );
  // Applied in the order other, parent (both top level, in file order), then child (one level down).
  assert.equal(host(inventory, 'h').user, 'child');
  const withoutChildSetting = parse(
    '[group:child]\nhosts = h\n[group:other]\nhosts = h\nuser = other\n[group:parent]\nchildren = child\nuser = parent\n',
  );
  assert.equal(host(withoutChildSetting, 'h').user, 'parent');
});

test('grandchildren beat children', () => {
  const inventory = parse(
    '[group:top]\nchildren = mid\nv = top\n[group:mid]\nchildren = leaf\nv = mid\n[group:leaf]\nhosts = h\nv = leaf\n',
  );
  assert.deepEqual(host(inventory, 'h').vars, { v: 'leaf' });
  assert.deepEqual(host(inventory, 'h').groups, ['top', 'mid', 'leaf']);
});

test('jump = none in a host cancels an inherited jump', () => {
  const inventory = parse('[defaults]\njump = bastion\n[host:bastion]\njump = none\n[host:web1]\n');
  assert.equal(host(inventory, 'bastion').jump, undefined);
  assert.equal(host(inventory, 'web1').jump?.name, 'bastion');
});

test('groups lists every group of a host, directly or through children, in file order', () => {
  const inventory = parse(
    '[group:prod]\nchildren = web, db\n[group:db]\nhosts = d1\n[group:web]\nhosts = w1, shared\n[group:backup]\nhosts = d1, shared\n',
  );
  assert.deepEqual(host(inventory, 'w1').groups, ['prod', 'web']);
  assert.deepEqual(host(inventory, 'd1').groups, ['prod', 'db', 'backup']);
  assert.deepEqual(host(inventory, 'shared').groups, ['prod', 'web', 'backup']);
});

test('hosts come in the order they first appear; a listed name without a section is its own address', () => {
  const inventory = parse(
    '[group:web]\nhosts = web[01:03]\n[host:web02]\naddress = 10.0.0.2\n[host:solo]\n[group:more]\nhosts = web01, extra\n',
  );
  assert.deepEqual(
    inventory.hosts.map((h) => [h.name, h.address]),
    [
      ['web01', 'web01'],
      ['web02', '10.0.0.2'],
      ['web03', 'web03'],
      ['solo', 'solo'],
      ['extra', 'extra'],
    ],
  );
});

test('groups are reported as written: direct hosts, ranges expanded, children, header line', () => {
  const inventory = parse('[host:x]\n\n[group:web]\nhosts = w[1:2], w1\n[group:prod]\nchildren = web\nhosts = x\n');
  assert.deepEqual(inventory.groups, [
    { name: 'web', hosts: ['w1', 'w2'], children: [], line: 3 },
    { name: 'prod', hosts: ['x'], children: ['web'], line: 5 },
  ]);
});

test('an inventory moved from Ansible keeps its stride ranges: web[01:10:2] is every other host', () => {
  const inventory = parse('[group:web]\nhosts = web[01:10:2]\n');
  assert.deepEqual(inventory.groups[0]?.hosts, ['web01', 'web03', 'web05', 'web07', 'web09']);
  assert.deepEqual(
    inventory.hosts.map((h) => h.name),
    ['web01', 'web03', 'web05', 'web07', 'web09'],
  );
});

test('identity and known_hosts: ~ is the given home, relative paths start at the inventory directory', () => {
  const inventory = parse(
    '[host:a]\nidentity = ~/.ssh/id_ed25519\nknown_hosts = keys/known_hosts\n[host:b]\nidentity = ../keys/id\nknown_hosts = ~\n',
  );
  assert.deepEqual(host(inventory, 'a').identityFiles, ['/home/me/.ssh/id_ed25519']);
  assert.equal(host(inventory, 'a').knownHosts, '/p/inventories/keys/known_hosts');
  assert.deepEqual(host(inventory, 'b').identityFiles, ['/p/keys/id']);
  assert.equal(host(inventory, 'b').knownHosts, '/home/me');
});

test('the file name in the inventory is kept as given', () => {
  assert.equal(parseInventory('[host:a]\n', 'inventories/x.ini', options).file, 'inventories/x.ini');
});
