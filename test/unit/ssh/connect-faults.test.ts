// SSH core against an in-process server: results as values, timeouts without hangs, drops, host keys, auth, retries.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { connect } from '../../../src/ssh/connect.ts';
import type { ConnectSettings, SshTarget } from '../../../src/ssh/connect.ts';
import { generateEd25519 } from '../../../src/ssh/keys.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';
import { ConnectionPool } from '../../../src/ssh/pool.ts';
import type { FakeServer } from './fake-server.ts';
import { clientKey, hostKey, startResettingProxy, startSilentServer, startSshServer } from './fake-server.ts';
import { connectSettings, rejection } from './connect-support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-ssh-'));
const keyFile = path.join(dir, 'id');
writeFileSync(keyFile, clientKey.private, { mode: 0o600 });

function knownHosts(port: number, key = hostKey.public): string {
  const file = path.join(dir, `kh-${port}-${Math.random()}`);
  writeFileSync(file, `[127.0.0.1]:${port} ${key}\n`);
  return file;
}

function target(port: number, extra: Partial<SshTarget> = {}): SshTarget {
  return { name: 'fake', address: '127.0.0.1', port, user: 'deploy', identityFiles: [keyFile], ...extra };
}

const settings = (extra: Partial<ConnectSettings> = {}): ConnectSettings => connectSettings(dir, extra);

describe('exec on an in-process server', () => {
  let server: FakeServer;
  before(async () => {
    server = await startSshServer((command, channel, connection) => {
      if (command === 'fail') {
        channel.stderr.write('bad things\n');
        channel.exit(100);
        channel.end();
        return;
      }
      if (command === 'hang') {
        channel.write('started\n'); // and never exits
        return;
      }
      if (command === 'drop') {
        channel.write('partial output\n');
        setTimeout(() => connection.end(), 50);
        return;
      }
      channel.write(`ran: ${command}\n`);
      channel.exit(0);
      channel.end();
    });
  });
  after(() => server.close());

  test('a command result is a value: exit code, stdout, stderr, duration', async () => {
    const conn = await connect(target(server.port, { knownHosts: knownHosts(server.port) }), settings());
    const ok = await conn.exec('hello');
    assert.deepEqual(
      { ...ok, durationMs: 0 },
      { host: 'fake', code: 0, signal: null, stdout: 'ran: hello\n', stderr: '', durationMs: 0 },
    );
    const failed = await conn.exec('fail');
    assert.equal(failed.code, 100);
    assert.equal(failed.stderr, 'bad things\n');
    conn.close();
  });

  test('one connection serves many concurrent commands', async () => {
    const conn = await connect(target(server.port, { knownHosts: knownHosts(server.port) }), settings());
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => conn.exec(`n${i}`)));
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 25 }, (_, i) => `ran: n${i}\n`),
    );
    conn.close();
  });

  test('commands aborted (a step timeout) reject at once and give their session slots back', async () => {
    const conn = await connect(target(server.port, { knownHosts: knownHosts(server.port) }), settings());
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('step timed out')), 200);
    // More than the 8 sessions a connection keeps open at once: each abandoned one must give its slot back.
    const hung = Array.from({ length: 10 }, () => conn.exec('hang', { signal: controller.signal }));
    for (const h of hung) await assert.rejects(h, /step timed out/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    await assert.rejects(conn.exec('hang', { signal: AbortSignal.abort(new Error('too late')) }), /too late/);
    assert.equal((await conn.exec('hello')).stdout, 'ran: hello\n', 'the connection serves the next command');
    conn.close();
  });

  test('a connection dropped mid-command rejects with a typed error, not a hang', async () => {
    const conn = await connect(target(server.port, { knownHosts: knownHosts(server.port) }), settings());
    const error = await rejection(conn.exec('drop'));
    assert.equal(error.kind, 'closed');
    assert.equal(error.unreachable, false);
    assert.match(error.message, /connection lost/);
    const after = await rejection(conn.exec('hello'));
    assert.equal(after.kind, 'closed');
  });

  test('an unknown host key is refused by default, naming the fingerprint and the opt-in', async () => {
    const file = path.join(dir, 'empty-kh');
    const error = await rejection(connect(target(server.port, { knownHosts: file }), settings()));
    assert.equal(error.kind, 'host-key-unknown');
    assert.match(
      error.message,
      /REFUSED: unknown host key ssh-ed25519 SHA256:\S+ \(not in .*empty-kh\)\. Verify it, then pass --accept-new-host-keys/,
    );
  });

  test('with --accept-new-host-keys an unknown key is recorded, and then matches', async () => {
    const file = path.join(dir, 'tofu-kh');
    const conn = await connect(target(server.port, { knownHosts: file }), settings({ acceptNewHostKeys: true }));
    conn.close();
    const [type, key] = hostKey.public.split(' ');
    assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${server.port} ${type} ${key}\n`);
    const again = await connect(target(server.port, { knownHosts: file }), settings());
    again.close();
  });

  test('a changed host key is refused even with --accept-new-host-keys', async () => {
    const other = generateEd25519().public;
    const error = await rejection(
      connect(
        target(server.port, { knownHosts: knownHosts(server.port, other) }),
        settings({ acceptNewHostKeys: true }),
      ),
    );
    assert.equal(error.kind, 'host-key-changed');
    assert.match(
      error.message,
      /REFUSED: the host key has CHANGED\. Known: .*:1 \(ssh-ed25519 SHA256:\S+\); offered: ssh-ed25519 SHA256:\S+\./,
    );
    assert.match(error.message, /ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/);
  });

  test('a key of another type than the known one is refused as changed with --accept-new-host-keys, and not recorded', async () => {
    // known_hosts knows an RSA key for the host; the server (or a man in the middle) offers only ed25519.
    const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).public;
    const file = knownHosts(server.port, rsa);
    const before = readFileSync(file, 'utf8');
    const error = await rejection(
      connect(target(server.port, { knownHosts: file }), settings({ acceptNewHostKeys: true })),
    );
    assert.equal(error.kind, 'host-key-changed');
    assert.match(
      error.message,
      /REFUSED: the host key has CHANGED\. Known: .*:1 \(ssh-rsa SHA256:\S+\); offered: ssh-ed25519 SHA256:\S+, a key of another type/,
    );
    assert.match(error.message, /ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/);
    assert.equal(readFileSync(file, 'utf8'), before, 'known_hosts is left as it was');
  });

  test('a key of another type known only in the global known_hosts is a change too: nothing is recorded', async () => {
    const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).public;
    const global = knownHosts(server.port, rsa);
    const file = path.join(dir, `kh-user-${Math.random()}`);
    const error = await rejection(
      connect(
        target(server.port, { knownHosts: file }),
        settings({ acceptNewHostKeys: true, knownHosts: new KnownHostsStore([global]) }),
      ),
    );
    assert.equal(error.kind, 'host-key-changed');
    assert.ok(error.message.includes(`Known: ${global}:1 (ssh-rsa `), error.message);
    assert.equal(existsSync(file), false, 'no key is recorded for the host');
  });

  test('a key the server does not accept is an auth error; no key at all says where to set one', async () => {
    const wrong = path.join(dir, 'wrong');
    writeFileSync(wrong, generateEd25519().private, { mode: 0o600 });
    const error = await rejection(
      connect(target(server.port, { knownHosts: knownHosts(server.port), identityFiles: [wrong] }), settings()),
    );
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /deploy@fake \(127\.0\.0\.1:\d+\): authentication failed/);
    const none = await rejection(
      connect(target(server.port, { identityFiles: [path.join(dir, 'missing')] }), settings()),
    );
    assert.equal(none.kind, 'auth');
    assert.match(none.message, /no key to offer: set `identity` in the inventory/);
  });

  test('a connection reset before the handshake (sshd MaxStartups) is retried by the pool', async () => {
    const proxy = await startResettingProxy(2, server.port);
    try {
      const pool = new ConnectionPool(settings(), { retryDelaysMs: [10, 10, 10] });
      const conn = await pool.get(target(proxy.port, { knownHosts: knownHosts(proxy.port) }));
      assert.equal((await conn.exec('x')).code, 0);
      assert.equal(proxy.connections(), 3);
      await pool.closeAll();
    } finally {
      await proxy.close();
    }
  });
});

test('a server that never answers times out within the connect timeout, no hang', async () => {
  const silent = await startSilentServer();
  try {
    const started = Date.now();
    const error = await rejection(
      connect(target(silent.port, { knownHosts: knownHosts(silent.port) }), settings({ connectTimeoutMs: 400 })),
    );
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /timed out after 0\.4s/);
    assert.ok(Date.now() - started < 3000);
  } finally {
    await silent.close();
  }
});

test('nothing listening: refused, counted as unreachable', async () => {
  const error = await rejection(connect(target(1, { knownHosts: knownHosts(1) }), settings()));
  assert.equal(error.kind, 'refused');
  assert.equal(error.unreachable, true);
});
