// `convoy retry [run]` and `convoy runs`: the run journal read back. A retry runs a recorded command line again, as
// it was given, on the hosts that did not end ok (failed, unreachable, skipped, never reached); the others are not
// touched. The command it runs sees the hosts and the first run's release and digests through a RetryPlan.
import path from 'node:path';
import { ExitCode, UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { hostsToRedo, newestFirst, pickRun } from '../orchestration/journal.ts';
import { showNothingToRetry, showRetrying, showRuns } from '../output/views/runs.ts';
import type { RetryPlan } from './run-journal.ts';
import { journalDir, readJournal } from './run-journal.ts';

export interface RetryCommandOptions {
  /** The project: its `.convoy/runs/` holds the journal. */
  cwd: string;
  /** A run id or a unique prefix of one; default the newest run. */
  run?: string | undefined;
  output: Output;
  /** Runs a command line again under a retry plan (the CLI's own entry, so flags parse as they did). */
  rerun: (argv: readonly string[], retry: RetryPlan) => Promise<number>;
}

export async function retryCommand(options: RetryCommandOptions): Promise<number> {
  const picked = pickRun(readJournal(options.cwd), options.run);
  if (typeof picked === 'string') {
    const where = path.relative(options.cwd, journalDir(options.cwd)) || '.';
    throw new UsageError(`retry: ${picked} (journal: ${where}/)`);
  }
  const redo = hostsToRedo(picked);
  if (redo.hosts.length === 0) {
    showNothingToRetry(options.output, picked);
    return ExitCode.ok;
  }
  showRetrying(options.output, picked, redo.hosts, redo.done);
  return options.rerun(picked.argv, {
    of: picked.id,
    hosts: new Set(redo.hosts),
    releaseTime: picked.releaseTime === undefined ? undefined : new Date(picked.releaseTime),
    digests: picked.digests,
  });
}

export interface RunsCommandOptions {
  cwd: string;
  /** How many runs to list, newest first. */
  count: number;
  output: Output;
}

export function runsCommand(options: RunsCommandOptions): number {
  showRuns(options.output, newestFirst(readJournal(options.cwd)).slice(0, options.count));
  return ExitCode.ok;
}
