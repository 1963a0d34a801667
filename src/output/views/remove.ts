// `convoy remove`: per host what was done (or, with --dry-run, what would be), one line each; then the summary.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { byHost, hostRecord } from './common.ts';

export interface RemoveResult {
  app: string;
  /** `absent`: nothing of the app on the host. */
  result: 'removed' | 'absent' | 'would remove';
  /** What was done (or would be), in order. */
  steps: string[];
}

export interface RemoveReport {
  outcomes: readonly HostOutcome<RemoveResult>[];
  summary: RunSummary;
  exitCode: number;
  dryRun: boolean;
}

const resultColor = { removed: 'green', absent: 'gray', 'would remove': 'yellow' } as const;

function rowsOf(out: Output, o: HostOutcome<RemoveResult>): string[][] {
  if (!o.value) return [[o.host, paint(out.color, 'red', o.status), o.error?.message ?? '']];
  const result = paint(out.color, resultColor[o.value.result], o.value.result);
  const steps = o.value.steps.length > 0 ? o.value.steps : [`nothing of ${o.value.app} here`];
  return steps.map((step, i) => [i === 0 ? o.host : '', i === 0 ? result : '', step]);
}

export function showRemove(out: Output, report: RemoveReport): void {
  if (out.jsonMode) {
    for (const o of report.outcomes) out.record(hostRecord(o, o.value ? { ...o.value } : { result: o.status }));
  } else {
    const rows = [...report.outcomes].sort(byHost).flatMap((o) => rowsOf(out, o));
    out.line(formatTable(['HOST', 'RESULT', 'DETAIL'], rows));
  }
  writeSummary(out, report.dryRun ? 'remove --dry-run' : 'remove', report.summary, report.exitCode);
}
