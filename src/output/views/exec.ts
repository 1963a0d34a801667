// `convoy exec`: the hosts' own output streams as it comes (see the command); here what follows it.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { failureLines, hostRecord } from './common.ts';

/** A command's result on one host, as exec shows it. */
export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

function failureText(o: HostOutcome<ExecResult>): string {
  if (o.error) return `${o.status}: ${o.error.message}`;
  const r = o.value;
  return r?.signal ? `killed by signal ${r.signal}` : `exit code ${r?.code ?? 'unknown'}`;
}

export function showExec(
  out: Output,
  command: string,
  outcomes: readonly HostOutcome<ExecResult>[],
  summary: RunSummary,
  exitCode: number,
): void {
  if (out.jsonMode) {
    for (const o of outcomes) {
      const r = o.value;
      out.record(
        hostRecord(o, {
          code: r?.code ?? null,
          signal: r?.signal ?? null,
          stdout: r?.stdout ?? '',
          stderr: r?.stderr ?? '',
          durationMs: r?.durationMs ?? o.durationMs,
        }),
      );
    }
  } else failureLines(out, outcomes, failureText);
  writeSummary(out, 'exec', summary, exitCode, { commandLine: command });
}
