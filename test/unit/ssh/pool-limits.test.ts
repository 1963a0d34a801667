// Handshake limits of the pool, with a stand-in connect function: per sshd (MaxStartups) and in total.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { ConnectFunction } from '../../../src/ssh/pool.ts';
import { ConnectionPool } from '../../../src/ssh/pool.ts';
import type { SshConnection } from '../../../src/ssh/connection.ts';
import type { ConnectSettings, SshTarget } from '../../../src/ssh/connect.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';

const settings: ConnectSettings = {
  knownHosts: new KnownHostsStore([]),
  acceptNewHostKeys: false,
  connectTimeoutMs: 1000,
  serverAliveIntervalMs: 0,
};

function target(name: string, address: string, user = 'deploy'): SshTarget {
  return { name, address, port: 22, user, identityFiles: [] };
}

/** A connect that takes 20 ms and records the most handshakes seen at once, per address and in total. */
function recordingConnect() {
  const now = new Map<string, number>();
  const peak = new Map<string, number>();
  let total = 0;
  let peakTotal = 0;
  const connect: ConnectFunction = async (t) => {
    now.set(t.address, (now.get(t.address) ?? 0) + 1);
    peak.set(t.address, Math.max(peak.get(t.address) ?? 0, now.get(t.address) ?? 0));
    peakTotal = Math.max(peakTotal, ++total);
    await sleep(20);
    now.set(t.address, (now.get(t.address) ?? 1) - 1);
    total--;
    return { host: t.name, close() {} } as unknown as SshConnection;
  };
  return { connect, peak, peakTotal: () => peakTotal };
}

test('at most 8 handshakes at once to one sshd, however many names and users point at it', async () => {
  const r = recordingConnect();
  const pool = new ConnectionPool(settings, { connect: r.connect });
  const sameServer = Array.from({ length: 30 }, (_, i) => target(`alias${i}`, '10.0.0.1', `user${i}`));
  const others = Array.from({ length: 30 }, (_, i) => target(`h${i}`, `10.0.1.${i}`));
  await Promise.all([...sameServer, ...others].map((t) => pool.get(t)));
  assert.equal(r.peak.get('10.0.0.1'), 8);
  assert.ok(r.peakTotal() > 8, 'other servers are not held back by the busy one');
});

test('the total stays under handshakeConcurrency', async () => {
  const r = recordingConnect();
  const pool = new ConnectionPool(settings, { connect: r.connect, handshakeConcurrency: 5 });
  await Promise.all(Array.from({ length: 40 }, (_, i) => pool.get(target(`h${i}`, `10.0.2.${i}`))));
  assert.equal(r.peakTotal(), 5);
});
