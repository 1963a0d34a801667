// `convoy setup`: per host, what changed (one line each) or `unchanged`, and where supervisord answers.
import type { SetupResult } from '../../host/setup.ts';
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { byHost, hostRecord } from './common.ts';

function rowsOf(out: Output, o: HostOutcome<SetupResult>): string[][] {
  if (!o.value) return [[o.host, paint(out.color, 'red', o.status), o.error?.message ?? '']];
  const { changes, supervisorVersion, socketPath, transport } = o.value;
  const answers = `supervisord ${supervisorVersion} answers on ${socketPath} (${transport})`;
  if (changes.length === 0) return [[o.host, paint(out.color, 'gray', 'unchanged'), answers]];
  const changed = changes.map((change, i) => [
    i === 0 ? o.host : '',
    i === 0 ? paint(out.color, 'green', 'changed') : '',
    change,
  ]);
  return [...changed, ['', '', answers]];
}

export function showSetup(
  out: Output,
  outcomes: readonly HostOutcome<SetupResult>[],
  summary: RunSummary,
  exitCode: number,
): void {
  if (out.jsonMode) {
    for (const o of outcomes) {
      const result = o.value ? (o.value.changes.length === 0 ? 'unchanged' : 'changed') : o.status;
      out.record(hostRecord(o, { result, ...(o.value ?? {}) }));
    }
  } else {
    out.line(
      formatTable(
        ['HOST', 'RESULT', 'DETAIL'],
        [...outcomes].sort(byHost).flatMap((o) => rowsOf(out, o)),
      ),
    );
  }
  writeSummary(out, 'setup', summary, exitCode);
}
