import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSize, failureBudget, planBatches, runRolling } from '../../../src/orchestration/rolling.ts';
import { SshError } from '../../../src/ssh/errors.ts';

const hosts = Array.from({ length: 10 }, (_, i) => ({ name: `h${i + 1}` }));
const names = (batches: { name: string }[][]) => batches.map((b) => b.map((h) => h.name).join(','));

test('batches of n, and n% rounded up (never 0)', () => {
  assert.deepEqual(names(planBatches(hosts, { kind: 'count', value: 3 })), ['h1,h2,h3', 'h4,h5,h6', 'h7,h8,h9', 'h10']);
  assert.deepEqual(names(planBatches(hosts, { kind: 'percent', value: 25 })), [
    'h1,h2,h3',
    'h4,h5,h6',
    'h7,h8,h9',
    'h10',
  ]);
  assert.equal(batchSize({ kind: 'percent', value: 1 }, 10), 1);
  assert.equal(batchSize({ kind: 'percent', value: 100 }, 10), 10);
  assert.equal(batchSize({ kind: 'count', value: 0 }, 10), 1);
  assert.equal(batchSize({ kind: 'count', value: 50 }, 10), 10);
});

test('a canary batch goes first, then the regular batches', () => {
  assert.deepEqual(names(planBatches(hosts, { kind: 'count', value: 4 }, 1)), [
    'h1',
    'h2,h3,h4,h5',
    'h6,h7,h8,h9',
    'h10',
  ]);
  assert.deepEqual(names(planBatches(hosts.slice(0, 2), { kind: 'count', value: 4 }, 5)), ['h1,h2']);
});

test('the failure budget: a count, or a share rounded down', () => {
  assert.equal(failureBudget(undefined, 10), 0);
  assert.equal(failureBudget({ kind: 'count', value: 2 }, 10), 2);
  assert.equal(failureBudget({ kind: 'percent', value: 25 }, 10), 2);
  assert.equal(failureBudget({ kind: 'percent', value: 5 }, 10), 0);
});

test('batches run one after another, with the pause between them, never more than one batch at once', async () => {
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const pauses: number[] = [];
  const result = await runRolling(
    planBatches(hosts, { kind: 'count', value: 3 }),
    {
      pauseMs: 50,
      maxFail: 0,
      concurrency: 100,
      wait: async (ms) => {
        pauses.push(ms);
      },
    },
    async (h) => {
      running++;
      peak = Math.max(peak, running);
      order.push(h.name);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { value: null, ok: true };
    },
  );
  assert.equal(peak, 3);
  assert.deepEqual(
    order,
    hosts.map((h) => h.name),
  );
  assert.deepEqual(pauses, [50, 50, 50]);
  assert.equal(result.summary.ok, 10);
  assert.equal(result.stopReason, undefined);
});

test('one budget for the whole run: failures across batches add up; the next batch is skipped once it is spent', async () => {
  const failing = new Set(['h2', 'h5']);
  const result = await runRolling(
    planBatches(hosts, { kind: 'count', value: 3 }),
    { pauseMs: 0, maxFail: 1, concurrency: 10 },
    async (h) => ({ value: null, ok: !failing.has(h.name) }),
  );
  assert.deepEqual(
    result.outcomes.map((o) => `${o.host}:${o.status}`),
    [
      'h1:ok',
      'h2:failed',
      'h3:ok',
      'h4:ok',
      'h5:failed',
      'h6:ok',
      'h7:skipped',
      'h8:skipped',
      'h9:skipped',
      'h10:skipped',
    ],
  );
  assert.equal(result.stoppedAfterBatch, 1);
  assert.equal(result.stopReason, 'failures');
});

test('unreachable hosts count against the budget; failures spent before the run count too', async () => {
  const work = async (h: { name: string }) => {
    if (h.name === 'h1') throw new SshError('refused', 'h1', 'h1: connection refused');
    return { value: null, ok: true };
  };
  const oneAllowed = await runRolling(
    planBatches(hosts.slice(0, 4), { kind: 'count', value: 2 }),
    { pauseMs: 0, maxFail: 1, concurrency: 10 },
    work,
  );
  assert.deepEqual(
    oneAllowed.outcomes.map((o) => o.status),
    ['unreachable', 'ok', 'ok', 'ok'],
  );
  const spent = await runRolling(
    planBatches(hosts.slice(0, 4), { kind: 'count', value: 2 }),
    { pauseMs: 0, maxFail: 1, alreadyFailed: 1, concurrency: 10 },
    work,
  );
  assert.deepEqual(
    spent.outcomes.map((o) => o.status),
    ['unreachable', 'ok', 'skipped', 'skipped'],
  );
});

test('a stop request (Ctrl-C) lets the running batch finish and skips the rest', async () => {
  let stop = false;
  const result = await runRolling(
    planBatches(hosts.slice(0, 6), { kind: 'count', value: 2 }),
    { pauseMs: 0, maxFail: 10, concurrency: 10, stopRequested: () => stop },
    async (h) => {
      if (h.name === 'h3') stop = true;
      return { value: null, ok: true };
    },
  );
  assert.deepEqual(
    result.outcomes.map((o) => o.status),
    ['ok', 'ok', 'ok', 'ok', 'skipped', 'skipped'],
  );
  assert.equal(result.stopReason, 'interrupted');
});

test('a stop asked for during the pause ends the pause and starts no new batch', async () => {
  let stop = false;
  let resolveStop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    resolveStop = r;
  });
  const ran: string[] = [];
  const started = Date.now();
  setTimeout(() => {
    stop = true;
    resolveStop();
  }, 100);
  const result = await runRolling(
    [[{ name: 'a' }], [{ name: 'b' }]],
    { pauseMs: 10_000, maxFail: 0, concurrency: 5, stopRequested: () => stop, stopped },
    async (h) => {
      ran.push(h.name);
      return { value: null, ok: true };
    },
  );
  assert.deepEqual(ran, ['a']);
  assert.equal(result.stopReason, 'interrupted');
  assert.deepEqual(
    result.outcomes.map((o) => [o.host, o.status]),
    [
      ['a', 'ok'],
      ['b', 'skipped'],
    ],
  );
  assert.ok(Date.now() - started < 2000, `the pause was cut short (${Date.now() - started} ms)`);
});

test('batch hooks: hosts failed before a batch are not worked on; hosts failed after it count; both spend the budget', async () => {
  const worked: string[] = [];
  const calls: string[] = [];
  const batches = planBatches(hosts.slice(0, 6), { kind: 'count', value: 2 });
  const result = await runRolling(
    batches,
    {
      pauseMs: 0,
      maxFail: 1,
      concurrency: 5,
      beforeBatch: async (index, batch) => {
        calls.push(`before ${index} ${batch.map((h) => h.name).join(',')}`);
        return new Map(index === 0 ? [['h1', new Error('drain failed')]] : []);
      },
      batchPassed: async (index, passed) => {
        calls.push(`passed ${index} ${passed.map((h) => h.name).join(',')}`);
        return new Map(index === 1 ? [['h4', new Error('undrain failed')]] : []);
      },
    },
    async (h) => {
      worked.push(h.name);
      return { value: null, ok: true };
    },
  );
  assert.deepEqual(calls, ['before 0 h1,h2', 'passed 0 h2', 'before 1 h3,h4', 'passed 1 h3,h4']);
  assert.deepEqual(worked, ['h2', 'h3', 'h4']);
  assert.deepEqual(
    result.outcomes.map((o) => `${o.host}:${o.status}${o.error ? ` ${o.error.message}` : ''}`),
    ['h1:failed drain failed', 'h2:ok', 'h3:ok', 'h4:failed undrain failed', 'h5:skipped', 'h6:skipped'],
  );
  assert.equal(result.stopReason, 'failures');
});
