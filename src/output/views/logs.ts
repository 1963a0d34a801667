// `convoy logs`: the lines stream as they are read (see the command); here what follows them.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
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
  // The log lines are the output: the counts go to stderr, and only when a host could not be read.
  if (summary.failed + summary.unreachable > 0) out.warn(summaryLine(summary));
}
