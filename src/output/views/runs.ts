// `convoy runs` and `convoy retry`'s own lines: recent runs from the journal, what a retry redoes or that it has
// nothing to redo.
import type { JournalRun } from '../../orchestration/journal.ts';
import { countsOf, wasInterrupted } from '../../orchestration/journal.ts';
import { shellJoin } from '../../shell/quote.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { formatTable } from '../table.ts';

/** The command line a run was given, as it could be typed again. */
export function runCommandLine(run: JournalRun): string {
  return shellJoin(['convoy', ...run.argv]);
}

/** `2026-12-02 15:40:12Z`: when a run started, in UTC, to the second. */
function startedText(run: JournalRun): string {
  return run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** What else there is to know about a run: stopped or killed, and the run it retried. */
function notes(run: JournalRun): string {
  const said: string[] = [];
  if (run.endedAt === undefined) said.push('never ended (killed, or still running)');
  else if (wasInterrupted(run)) said.push(`interrupted (exit ${run.exitCode})`);
  else said.push(`exit ${run.exitCode}`);
  if (run.retryOf) said.push(`retry of ${run.retryOf}`);
  return said.join(', ');
}

export function showRuns(out: Output, runs: readonly JournalRun[]): void {
  if (out.jsonMode) {
    for (const run of runs) {
      const { hosts, ...rest } = run;
      out.record({
        type: 'run',
        ...rest,
        commandLine: runCommandLine(run),
        interrupted: wasInterrupted(run),
        counts: countsOf(run),
        hosts,
      });
    }
    out.record({ type: 'summary', command: 'runs', runs: runs.length, exitCode: 0 });
    return;
  }
  if (runs.length === 0) {
    out.line('no runs recorded yet (.convoy/runs/)');
    return;
  }
  const rows = runs.map((run) => {
    const c = countsOf(run);
    const unreached = c.pending === 0 ? '0' : paint(out.color, 'yellow', String(c.pending));
    const line = [c.ok, c.failed, c.unreachable, c.skipped].map(String);
    return [run.id, startedText(run), run.by, runCommandLine(run), ...line, unreached, notes(run)];
  });
  const headers = ['RUN', 'STARTED', 'BY', 'COMMAND', 'OK', 'FAILED', 'UNREACHABLE', 'SKIPPED', 'NOT REACHED', 'NOTE'];
  out.line(formatTable(headers, rows));
}

/** Before a retry runs: which run, the hosts it redoes, the hosts it leaves alone (on stderr: stdout is the run's). */
export function showRetrying(out: Output, run: JournalRun, redo: readonly string[], done: readonly string[]): void {
  const left = done.length > 0 ? `; not touching ${done.join(', ')} (succeeded)` : '';
  out.warn(`convoy: retrying run ${run.id} (${runCommandLine(run)}) on ${redo.join(', ')}${left}`);
}

export function showNothingToRetry(out: Output, run: JournalRun): void {
  if (out.jsonMode) {
    out.record({ type: 'retry', run: run.id, hosts: [], commandLine: runCommandLine(run) });
    out.record({ type: 'summary', command: 'retry', run: run.id, total: 0, exitCode: 0 });
  } else out.line(`nothing to retry: every host of run ${run.id} (${runCommandLine(run)}) succeeded`);
}
