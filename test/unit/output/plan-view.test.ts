// plan's view: a table of host, app, kind and detail; JSON lines with one finding each, a result per host and the
// summary counting findings by kind; diffs only with --diff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../../src/deploy/drift.ts';
import type { PlanReport } from '../../../src/output/views/plan.ts';
import { showPlan } from '../../../src/output/views/plan.ts';
import { captureOutput } from '../support/output.ts';

const findings: Finding[] = [
  { host: '-', app: 'hello', kind: 'mixed-releases', text: '2 releases: …' },
  { host: 'web2', app: 'hello', kind: 'not-running', text: 'hello:web is STOPPED' },
  { host: 'web1', app: 'hello', kind: 'conf', text: 'differs', diff: '-a\n+b\n' },
];
const roundTrips = { exec: 1, rpc: 1, files: 0 };
const report = (over: Partial<PlanReport> = {}): PlanReport => ({
  findings,
  outcomes: [
    { host: 'web1', status: 'ok', durationMs: 5, value: { findings: [], roundTrips } },
    { host: 'web2', status: 'ok', durationMs: 5, value: { findings: [], roundTrips } },
  ],
  summary: { total: 2, ok: 2, failed: 0, unreachable: 0, skipped: 0, durationMs: 9 },
  exitCode: 3,
  diff: false,
  countRoundTrips: false,
  ...over,
});

test('table: hosts in order, app-wide findings last; diffs only with --diff', () => {
  const { out, lines } = captureOutput();
  showPlan(out, report());
  assert.match(lines[1] ?? '', /^web1\s+hello\s+conf\s+differs$/);
  assert.match(lines[2] ?? '', /^web2\s+hello\s+not-running/);
  assert.match(lines[3] ?? '', /^-\s+hello\s+mixed-releases/);
  assert.equal(lines[4], '3 differences on 2 hosts');
  assert.ok(!lines.includes('+b'));
  const withDiff = captureOutput();
  showPlan(withDiff.out, report({ diff: true, countRoundTrips: true }));
  assert.ok(withDiff.lines.includes('+b'));
  assert.ok(withDiff.lines.includes('round trips per host, at most: exec 1, rpc 1, files 0'));
});

test('JSON: a finding per line (diff with --diff), a result per host, the summary with counts by kind', () => {
  const { out, records } = captureOutput(true);
  showPlan(out, report({ countRoundTrips: true }));
  assert.deepEqual(
    records.map((r) => r.type),
    ['finding', 'finding', 'finding', 'result', 'result', 'summary'],
  );
  assert.deepEqual(records[0], { type: 'finding', host: 'web1', app: 'hello', kind: 'conf', text: 'differs' });
  assert.deepEqual(records[3], { type: 'result', host: 'web1', status: 'ok', durationMs: 5, findings: 1, roundTrips });
  assert.deepEqual(records[5]?.kinds, { conf: 1, 'not-running': 1, 'mixed-releases': 1 });
  assert.equal(records[5]?.findings, 3);
  const clean = captureOutput();
  showPlan(clean.out, report({ findings: [], exitCode: 0 }));
  assert.equal(clean.lines[0], 'no differences: every host runs what the task files would deploy');
});
