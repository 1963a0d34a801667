// The round-trip counter: every channel a connection opens is counted once, by kind, whatever the transport.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countedConnection, noRoundTrips } from '../../../src/host/round-trips.ts';
import type { HostConnection } from '../../../src/ssh/connection.ts';

test('exec, supervisord requests (socket or relay) and files are counted apart', async () => {
  const done = () => Promise.resolve(undefined as never);
  const inner = {
    host: 'web1',
    description: 'fake',
    closed: false,
    exec: done,
    execChannel: done,
    putFile: done,
    getFile: done,
    openUnixSocket: done,
    forwardTcp: done,
    guard: <T>(work: Promise<T>) => work,
    close: () => {},
  } satisfies HostConnection;
  const counts = noRoundTrips();
  const counted = countedConnection(inner, counts);
  await counted.exec('true');
  await counted.openUnixSocket('/run/s.sock');
  await counted.execChannel('python3 -c relay');
  await counted.putFile('a', 'b', { concurrency: 1, chunkSize: 1 });
  await counted.forwardTcp('127.0.0.1', 80);
  assert.deepEqual(counts, { exec: 1, rpc: 2, files: 1 });
  assert.equal(counted.host, 'web1');
});
