// `convoy logs`: the lines stream as they are read (see the command); here what follows them.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { summaryLine, writeSummary } from '../summary.ts';
import { hostRecord } from './common.ts';

export function showLogsEnd(
  out: Output,
  outcomes: readonly HostOutcome<unknown>[],
  summary: RunSummary,
  exitCode: number,
): void {
  if (out.jsonMode) {
    for (const o of outcomes) out.record(hostRecord(o));
    writeSummary(out, 'logs', summary, exitCode);
    return;
  }
  // The log lines are the output: what went wrong goes to stderr, and only when a host could not be read.
  if (summary.failed + summary.unreachable === 0) return;
  const width = Math.max(0, ...outcomes.map((o) => o.host.length));
  for (const o of outcomes.filter((x) => x.status !== 'ok')) {
    out.warn(paint(out.color, 'red', `${o.host.padEnd(width)} ✗ ${o.status}: ${o.error?.message ?? ''}`));
  }
  out.warn(summaryLine(summary));
}
