// `convoy run <task>`: the task's own log lines as they come (see the command); here what follows them.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { failureLines, hostRecord } from './common.ts';

export function showTaskRun(
  out: Output,
  task: string,
  outcomes: readonly HostOutcome<unknown>[],
  summary: RunSummary,
  exitCode: number,
): void {
  if (out.jsonMode) for (const o of outcomes) out.record(hostRecord(o));
  else failureLines(out, outcomes, (o) => `${o.status}: ${o.error?.message ?? ''}`);
  writeSummary(out, 'run', summary, exitCode, { task });
}
