import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summaryLine, summaryRecord } from '../../../src/output/summary.ts';
import { counted, formatBytes } from '../../../src/output/words.ts';

const summary = { total: 3, ok: 1, failed: 1, unreachable: 1, skipped: 0, durationMs: 1234 };

test('every summary line has the same four counts and the time', () => {
  assert.equal(summaryLine(summary), '3 hosts: 1 ok, 1 failed, 1 unreachable, 0 skipped (1.2s)');
  assert.equal(
    summaryLine({ total: 1, ok: 0, failed: 0, unreachable: 0, skipped: 1, durationMs: 0 }),
    '1 host: 0 ok, 0 failed, 0 unreachable, 1 skipped (0.0s)',
  );
});

test('the summary record carries the command, the counts and the exit code, then its own fields', () => {
  assert.deepEqual(summaryRecord('exec', summary, 1, { command: 'exec' }), {
    type: 'summary',
    command: 'exec',
    total: 3,
    ok: 1,
    failed: 1,
    unreachable: 1,
    skipped: 0,
    durationMs: 1234,
    exitCode: 1,
  });
});

test('counts and sizes read as people write them', () => {
  assert.equal(counted(1, 'group'), '1 group');
  assert.equal(counted(2, 'group'), '2 groups');
  assert.equal(counted(0, 'process', 'processes'), '0 processes');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(5120), '5.1 kB');
  assert.equal(formatBytes(20_300_000), '20.3 MB');
});
