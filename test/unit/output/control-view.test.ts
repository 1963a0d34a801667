// start/stop/restart: result codes become words only here, in the table and in JSON alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureOutput } from '../support/output.ts';
import { showControl } from '../../../src/output/views/control.ts';
import type { ProcessOutcome } from '../../../src/supervisor/control.ts';

const outcomes: ProcessOutcome[] = ['started', 'already-running', 'failed', 'missing'];
const run = {
  action: 'start' as const,
  outcomes: [
    {
      host: 'web1',
      status: 'failed' as const,
      durationMs: 10,
      value: outcomes.map((result, i) => ({ program: `app:p${i}`, result, state: 'RUNNING', pid: 100 + i })),
    },
    { host: 'web2', status: 'skipped' as const, durationMs: 0 },
  ],
  summary: { total: 2, ok: 0, failed: 1, unreachable: 0, skipped: 1, durationMs: 10 },
  stopReason: 'failures' as const,
  maxFail: 0,
  exitCode: 1,
};

const capture = captureOutput;

test('the table says each result in words; a host never reached says skipped', () => {
  const { out, lines } = capture(false);
  showControl(out, run);
  assert.deepEqual(
    lines
      .filter((l) => l.startsWith('web'))
      .map((l) =>
        l
          .split(/\s{2,}/)
          .slice(0, 3)
          .join(' | '),
      ),
    [
      'web1 | app:p0 | started',
      'web1 | app:p1 | already running',
      'web1 | app:p2 | failed',
      'web1 | app:p3 | no such program',
      'web2 | - | skipped',
    ],
  );
  assert.equal(lines.at(-1), '2 hosts: 0 ok, 1 failed, 0 unreachable, 1 skipped (0.0s)');
});

test('--json: the same words in each host result, the summary names the action', () => {
  const { out, records } = capture(true);
  showControl(out, run);
  const results = records[0]?.results as { result: string }[];
  assert.deepEqual(
    results.map((r) => r.result),
    ['started', 'already running', 'failed', 'no such program'],
  );
  assert.deepEqual([records.at(-1)?.command, records.at(-1)?.stopped], ['start', 'failures']);
});
