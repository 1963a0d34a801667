import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeFor, runOnHosts } from '../../../src/orchestration/run-on-hosts.ts';
import { SshError } from '../../../src/ssh/errors.ts';

const hosts = ['a', 'b', 'c', 'd'].map((name) => ({ name }));

test('every host ends as a value: ok, failed (judged or thrown), unreachable (SSH before a session)', async () => {
  const { outcomes, summary } = await runOnHosts(hosts, { concurrency: 2 }, async (h) => {
    if (h.name === 'b') return { value: 1, ok: false };
    if (h.name === 'c') throw new SshError('refused', 'c', 'c: connection refused');
    if (h.name === 'd') throw new Error('boom');
    return { value: 0, ok: true };
  });
  assert.deepEqual(
    outcomes.map((o) => [o.host, o.status]),
    [
      ['a', 'ok'],
      ['b', 'failed'],
      ['c', 'unreachable'],
      ['d', 'failed'],
    ],
  );
  assert.deepEqual(
    { ...summary, durationMs: 0 },
    { total: 4, ok: 1, failed: 2, unreachable: 1, skipped: 0, durationMs: 0 },
  );
  assert.equal(exitCodeFor(summary), 1);
});

test('never more hosts at once than the concurrency', async () => {
  let running = 0;
  let peak = 0;
  await runOnHosts(
    Array.from({ length: 20 }, (_, i) => ({ name: `h${i}` })),
    { concurrency: 3 },
    async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { value: null, ok: true };
    },
  );
  assert.equal(peak, 3);
});

test('exit codes: 0 all ok, 4 only unreachable, 1 any failure or skipped host, 3 not running, 130 interrupted', () => {
  assert.equal(exitCodeFor({ total: 2, ok: 2, failed: 0, unreachable: 0, skipped: 0, durationMs: 1 }), 0);
  assert.equal(exitCodeFor({ total: 2, ok: 1, failed: 0, unreachable: 1, skipped: 0, durationMs: 1 }), 4);
  assert.equal(exitCodeFor({ total: 3, ok: 1, failed: 1, unreachable: 1, skipped: 0, durationMs: 1 }), 1);
  assert.equal(exitCodeFor({ total: 3, ok: 2, failed: 0, unreachable: 0, skipped: 1, durationMs: 1 }), 1);
  const unreachable = { total: 2, ok: 1, failed: 0, unreachable: 1, skipped: 0, durationMs: 1 };
  assert.equal(exitCodeFor(unreachable, { notRunning: true }), 3, 'a program not running ranks above unreachable');
  assert.equal(exitCodeFor({ ...unreachable, failed: 1 }, { notRunning: true }), 1, 'a failed host ranks above both');
  assert.equal(exitCodeFor({ ...unreachable, failed: 1 }, { interruptedWith: 130 }), 130);
});
