import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseInventory } from '../../../src/inventory/index.ts';
import type { HostConfig, Inventory } from '../../../src/inventory/index.ts';
import { expandTokens, parseProxyJump, readSshConfig } from '../../../src/inventory/ssh-config.ts';

const options = { homeDir: '/home/me', defaultUser: 'me', sshConfigFile: '/home/me/.ssh/config' };
const parse = (text: string, sshConfigText: string): Inventory =>
  parseInventory(text, '/p/inventories/x.ini', { ...options, sshConfigText });
const host = (inventory: Inventory, name: string): HostConfig =>
  inventory.hosts.find((h) => h.name === name) ?? assert.fail(`no host ${name}`);

const sshConfig = `
Host web1
  HostName 10.0.0.1
  User alice
  Port 2200
  IdentityFile ~/.ssh/web
  IdentityFile /keys/second

Host db.internal
  User bob

Host *.corp
  HostName %h.example.com

Host *
  User fallback
  IdentityFile ~/.ssh/id_ed25519
`;

test('an ssh config alias gives HostName, User, Port and IdentityFile', () => {
  const web1 = host(parse('[host:web1]\n', sshConfig), 'web1');
  assert.equal(web1.address, '10.0.0.1');
  assert.equal(web1.user, 'alice');
  assert.equal(web1.port, 2200);
  assert.deepEqual(web1.identityFiles, ['/home/me/.ssh/web', '/keys/second', '/home/me/.ssh/id_ed25519']);
});

test('a name listed only in a group is looked up in ssh config too', () => {
  const web1 = host(parse('[group:web]\nhosts = web[1:2]\n', sshConfig), 'web1');
  assert.equal(web1.address, '10.0.0.1');
});

test('the inventory beats ssh config, and its identity comes first', () => {
  const web1 = host(parse('[host:web1]\nuser = deploy\nport = 22\nidentity = /keys/inventory\n', sshConfig), 'web1');
  assert.deepEqual([web1.address, web1.user, web1.port], ['10.0.0.1', 'deploy', 22]);
  assert.deepEqual(web1.identityFiles, [
    '/keys/inventory',
    '/home/me/.ssh/web',
    '/keys/second',
    '/home/me/.ssh/id_ed25519',
  ]);
});

test('[defaults] is inventory too: it beats ssh config', () => {
  const web1 = host(parse('[defaults]\nuser = deploy\n[host:web1]\n', sshConfig), 'web1');
  assert.equal(web1.user, 'deploy');
  assert.equal(web1.port, 2200);
});

test('ssh config is looked up by the inventory address when there is one, like `ssh ADDRESS`', () => {
  const inventory = parse('[host:web1]\naddress = db.internal\n', sshConfig);
  assert.deepEqual(
    [host(inventory, 'web1').address, host(inventory, 'web1').user, host(inventory, 'web1').port],
    ['db.internal', 'bob', 22],
  );
});

test('the first value found wins, so Host * only fills what is left', () => {
  const inventory = parse('[host:web1]\n[host:other]\n', sshConfig);
  assert.equal(host(inventory, 'web1').user, 'alice');
  assert.equal(host(inventory, 'other').user, 'fallback');
  assert.deepEqual(host(inventory, 'other').identityFiles, ['/home/me/.ssh/id_ed25519']);
});

test('%h in HostName is the name looked up', () => {
  assert.equal(host(parse('[host:build.corp]\n', sshConfig), 'build.corp').address, 'build.corp.example.com');
});

test('IdentityFile expands ~ with the given home and OpenSSH tokens', () => {
  const text =
    'Host a\n  HostName 10.0.0.5\n  User alice\n  Port 2022\n  IdentityFile ~/.ssh/%r@%h-%p\n  IdentityFile %d/keys/%n_%u%%\n';
  assert.deepEqual(host(parse('[host:a]\n', text), 'a').identityFiles, [
    '/home/me/.ssh/alice@10.0.0.5-2022',
    '/home/me/keys/a_me%',
  ]);
});

test('directive names are case-insensitive, as in OpenSSH', () => {
  const a = host(
    parse('[host:a]\n', 'host a\n  HOSTNAME 10.1.1.1\n  user Carol\n  port 2023\n  identityfile /k\n'),
    'a',
  );
  assert.deepEqual([a.address, a.user, a.port, a.identityFiles], ['10.1.1.1', 'Carol', 2023, ['/k']]);
});

test('negated patterns exclude a host from a Host line', () => {
  const inventory = parse('[host:a]\n[host:b]\n', 'Host * !b\n  User star\n');
  assert.equal(host(inventory, 'a').user, 'star');
  assert.equal(host(inventory, 'b').user, 'me');
});

test('Match exec is never run', () => {
  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'convoy-exec-')), 'ran');
  try {
    const inventory = parse('[host:a]\n', `Match exec "touch ${marker}"\n  User executed\n`);
    assert.equal(host(inventory, 'a').user, 'me');
    assert.equal(existsSync(marker), false);
  } finally {
    rmSync(path.dirname(marker), { recursive: true, force: true });
  }
});

test('Match host and Match all still apply', () => {
  const inventory = parse('[host:a]\n[host:b]\n', 'Match host a\n  User matched\nMatch all\n  Port 2024\n');
  assert.equal(host(inventory, 'a').user, 'matched');
  assert.equal(host(inventory, 'b').user, 'me');
  assert.equal(host(inventory, 'b').port, 2024);
});

test('no ssh config text means no ssh config', () => {
  const source = readSshConfig({ file: '/home/me/.ssh/config', text: undefined }, '/home/me', 'me');
  assert.deepEqual(source.lookup('anything'), { identityFiles: [], certificateFiles: [], skippedExec: [], errors: [] });
});

test('lookup returns what was written, before tokens are expanded', () => {
  const text = 'Host a\n  HostName %h.x\n  ProxyJump j\n  IdentityFile none\n';
  const source = readSshConfig({ file: '/c', text }, '/home/me', 'me');
  assert.deepEqual(source.lookup('a'), {
    hostName: '%h.x',
    proxyJump: 'j',
    identityFiles: [],
    certificateFiles: [],
    skippedExec: [],
    errors: [],
  });
});

test('ProxyJump hops: user, host, port, ssh:// URIs, IPv6 and lists', () => {
  assert.equal(parseProxyJump('none'), null);
  assert.deepEqual(parseProxyJump('bastion'), { hops: [{ host: 'bastion' }] });
  assert.deepEqual(parseProxyJump('admin@bastion:2222'), { hops: [{ user: 'admin', host: 'bastion', port: 2222 }] });
  assert.deepEqual(parseProxyJump('ssh://ops@gw.example.com:22'), {
    hops: [{ user: 'ops', host: 'gw.example.com', port: 22 }],
  });
  assert.deepEqual(parseProxyJump('[2001:db8::1]:2200'), { hops: [{ host: '2001:db8::1', port: 2200 }] });
  assert.deepEqual(parseProxyJump('u@[::1]'), { hops: [{ user: 'u', host: '::1' }] });
  assert.deepEqual(parseProxyJump('a, b@c:3'), { hops: [{ host: 'a' }, { user: 'b', host: 'c', port: 3 }] });
});

test('bad ProxyJump hops are refused with the whole value', () => {
  assert.deepEqual(parseProxyJump('bastion:ssh'), {
    error: "ProxyJump 'bastion:ssh': 'bastion:ssh': 'ssh' is not a port (expected an integer from 1 to 65535)",
  });
  assert.deepEqual(parseProxyJump('a,,b'), {
    error: "ProxyJump 'a,,b': '' is not a hop (expected [user@]host[:port])",
  });
  assert.deepEqual(parseProxyJump('@host'), {
    error: "ProxyJump '@host': '@host' is not a hop (expected [user@]host[:port])",
  });
});

test('tokens: %% is a percent sign, unknown tokens stay', () => {
  assert.equal(expandTokens('%h-%%-%z', { h: 'host' }), 'host-%-%z');
});

test('ConnectTimeout and ServerAlive* come from ssh config beneath the inventory settings', () => {
  const config =
    'Host slow\n  ConnectTimeout 30\n  ServerAliveInterval 5\n  ServerAliveCountMax 2\nHost quiet\n  ServerAliveInterval 0\n';
  const inventory = parse('[host:slow]\n[host:quiet]\n[host:set]\naddress = slow\nconnect_timeout = 3s\n', config);
  const slow = host(inventory, 'slow');
  assert.deepEqual([slow.connectTimeoutMs, slow.serverAliveIntervalMs, slow.serverAliveCountMax], [30_000, 5000, 2]);
  assert.equal(host(inventory, 'quiet').serverAliveIntervalMs, 0);
  const set = host(inventory, 'set');
  assert.deepEqual([set.connectTimeoutMs, set.serverAliveIntervalMs], [3000, 5000]);
});

test('a bad ConnectTimeout or ServerAliveCountMax in ssh config names the file, host, directive and value', () => {
  assert.throws(
    () => parse('[host:a]\n', 'Host a\n  ConnectTimeout soon\n  ServerAliveCountMax 0\n'),
    (error: Error) => {
      assert.match(
        error.message,
        /\/home\/me\/\.ssh\/config.*Host 'a': ConnectTimeout 'soon' is not valid \(expected a duration above 0/s,
      );
      assert.match(
        error.message,
        /Host 'a': ServerAliveCountMax '0' is not valid \(expected an integer from 1 to 100\)/,
      );
      return true;
    },
  );
});

test('the connection directives of ssh config reach the host, expanded as ssh expands them', () => {
  const config =
    'Host a\n  IdentitiesOnly yes\n  IdentityAgent ~/agent\n  UserKnownHostsFile ~/kh %d/kh-%h\n  HostKeyAlias alias\n  BindAddress 127.0.26.3\n  ProxyCommand nc %h %p\n  CertificateFile ~/.ssh/c.pub\n';
  const a = host(parse('[host:a]\n[host:b]\naddress = a\njump = none\n', config), 'a');
  assert.equal(a.identitiesOnly, true);
  assert.equal(a.identityAgent, '/home/me/agent');
  assert.deepEqual(a.userKnownHostsFiles, ['/home/me/kh', '/home/me/kh-a']);
  assert.deepEqual([a.hostKeyAlias, a.bindAddress, a.proxyCommand], ['alias', '127.0.26.3', 'nc %h %p']);
  assert.deepEqual(a.certificateFiles, ['/home/me/.ssh/c.pub']);
  const b = host(parse('[host:a]\n[host:b]\naddress = a\njump = none\n', config), 'b');
  assert.equal(b.proxyCommand, undefined, 'jump = none replaces ProxyCommand too');
});

test('Host matches case-sensitively, as in OpenSSH; Include is not read without files', () => {
  const inventory = parse('[host:web1]\n', 'Include other\nHost WEB1\n  User upper\n');
  assert.equal(host(inventory, 'web1').user, 'me');
});
