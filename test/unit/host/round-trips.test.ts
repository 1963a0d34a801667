// The round-trip counter: every channel a connection opens is counted once, by kind, whatever the transport.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countedConnection, noRoundTrips, parseRoundTripLines, roundTripLines } from '../../../src/host/round-trips.ts';
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

test('the lines CONVOY_COUNT_ROUND_TRIPS=1 prints read back as they were; other lines are skipped', () => {
  const counts = new Map([
    ['web1', { exec: 4, rpc: 1, files: 0 }],
    ['db-2.example', { exec: 0, rpc: 1, files: 2 }],
  ]);
  const text = roundTripLines(counts);
  assert.equal(
    text,
    'convoy round trips: web1 exec=4 rpc=1 files=0 total=5\nconvoy round trips: db-2.example exec=0 rpc=1 files=2 total=3\n',
  );
  assert.deepEqual(parseRoundTripLines(`progress\n${text}convoy round trips: broken\n`), counts);
  assert.equal(roundTripLines(new Map()), '');
});
