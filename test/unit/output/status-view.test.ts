// The status footer counts programs by state and says which hosts could not be read, in plain English.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureOutput } from '../support/output.ts';
import type { StatusRow } from '../../../src/output/views/status.ts';
import { showStatus } from '../../../src/output/views/status.ts';

const row = (host: string, program: string, state: string): StatusRow => ({
  host,
  program,
  state,
  pid: null,
  uptimeSeconds: null,
  uptime: '',
  info: '',
});

function footer(rows: StatusRow[], unreachable: number, failed = 0): string {
  const { out, lines } = captureOutput();
  const total = new Set(rows.map((r) => r.host)).size;
  const summary = { total, ok: total - unreachable - failed, failed, unreachable, skipped: 0, durationMs: 10 };
  showStatus(out, { rows, outcomes: [], summary, exitCode: 4, redraw: false });
  return lines.at(-1) ?? '';
}

test('footer: programs by state, then the hosts that could not be read, counted in words that agree', () => {
  const rows = [row('a', 'web', 'RUNNING'), row('a', 'worker', 'STOPPED'), row('b', '-', 'UNREACHABLE')];
  assert.equal(footer(rows, 1), '2 programs on 2 hosts: 1 RUNNING, 1 STOPPED; 1 host unreachable');
  const more = [
    row('a', 'web', 'RUNNING'),
    row('b', '-', 'UNREACHABLE'),
    row('c', '-', 'UNREACHABLE'),
    row('d', '-', 'ERROR'),
  ];
  assert.equal(footer(more, 2, 1), '1 program on 4 hosts: 1 RUNNING; 2 hosts unreachable, 1 failed');
});
