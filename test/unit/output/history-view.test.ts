// `convoy history`'s view: a row per run (who, short commit with `+` for a dirty tree, outcomes counted), then where
// each app's `current` stands with the hosts that differ, the hosts not read, the summary; JSON records in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureOutput } from '../support/output.ts';
import type { HistoryReport } from '../../../src/output/views/history.ts';
import { showHistory } from '../../../src/output/views/history.ts';

function report(): HistoryReport {
  const row = {
    app: 'hello',
    run: 'r1',
    action: 'deploy' as const,
    at: '2026-12-02T10:11:12.345Z',
    releases: ['R2'],
    user: 'alice',
    logins: ['deploy'],
    machine: 'ci',
    commit: '0123456789abcdef0123456789abcdef01234567',
    dirty: true,
    outcomes: { verified: ['web1', 'web2'], reverted: ['web3'] },
    hosts: ['web1', 'web2', 'web3', 'web10', 'web4'],
  };
  const state = { current: 'R2', lockOwner: undefined, record: [] };
  return {
    rows: [row],
    agreement: [
      { app: 'hello', release: 'R2', hosts: ['web1', 'web2'], differing: [{ host: 'web3', release: undefined }] },
    ],
    outcomes: [
      { host: 'web1', status: 'ok', value: new Map([['hello', state]]), durationMs: 5 },
      { host: 'web9', status: 'unreachable', error: new Error('connect ECONNREFUSED'), durationMs: 5 },
    ],
    summary: { total: 2, ok: 1, failed: 0, unreachable: 1, skipped: 0, durationMs: 10 },
    exitCode: 4,
  };
}

test('a row per run, then the current release with the hosts that differ, the hosts not read, the summary', () => {
  const { out, lines } = captureOutput();
  showHistory(out, report());
  assert.match(lines[0]!, /^WHEN \(UTC\)\s+APP\s+ACTION\s+RELEASE\s+BY\s+COMMIT\s+OUTCOME\s+HOSTS$/);
  assert.match(
    lines[1]!,
    /^2026-12-02 10:11:12\s+hello\s+deploy\s+R2\s+alice \(as deploy\)\s+0123456\+\s+verified on 2, reverted on 1\s+web1, web2, web3, web4 \+1$/,
  );
  assert.ok(lines.includes('hello: current R2 on 2 of 3 hosts; web3 differs: no release'));
  assert.ok(lines.includes('web9 ✗ unreachable: connect ECONNREFUSED'));
  assert.match(lines.at(-1)!, /^2 hosts: 1 ok, 0 failed, 1 unreachable/);
});

test('--json: history rows, current per app, a result per host, the summary with runs and drift', () => {
  const { out, records } = captureOutput(true);
  showHistory(out, report());
  assert.deepEqual(
    records.map((r) => r.type),
    ['history', 'current', 'result', 'result', 'summary'],
  );
  assert.equal(records[0]!.commit, '0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(records[1]!.differing, [{ host: 'web3', release: null }]);
  assert.deepEqual(records[2]!.current, { hello: 'R2' });
  assert.equal(records[3]!.status, 'unreachable');
  assert.deepEqual(records[4]!.drift, [{ app: 'hello', host: 'web3', release: null }]);
  assert.equal(records[4]!.runs, 1);
});
