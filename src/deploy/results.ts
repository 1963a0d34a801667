// What a deploy, a dry run or a rollback did on each host, as values (docs/output.md, "Results"). The words the
// reports show for each outcome live in src/output; here are only the codes and how they count.
import type { HostStatus, RunSummary } from '../orchestration/run-on-hosts.ts';

export type DeployOutcome =
  /** The new release is live and passed the gate. */
  | 'deployed'
  /** Same release; the conf changed and was applied. */
  | 'conf-updated'
  /**
   * Same release and conf, but the host did not run what was verified (a run cut off mid-switch, programs stopped
   * or restarted since): restarted and verified.
   */
  | 'converged'
  | 'unchanged'
  /** `convoy rollback` moved the host to an earlier release. */
  | 'rolled-back'
  /** Its new release failed (or its batch did) and the host went back to its previous release and conf. */
  | 'reverted'
  | 'failed'
  /** Never switched: the rollout stopped, or was interrupted, before this host. */
  | 'skipped'
  | 'unreachable'
  /** Dry run. */
  | 'would-change'
  | 'no-change';

/** How each outcome counts in summaries and exit codes: one table, so a new outcome must say. */
export const outcomeStatus: Record<DeployOutcome, HostStatus> = {
  deployed: 'ok',
  'conf-updated': 'ok',
  converged: 'ok',
  unchanged: 'ok',
  'rolled-back': 'ok',
  reverted: 'failed',
  failed: 'failed',
  skipped: 'skipped',
  unreachable: 'unreachable',
  'would-change': 'ok',
  'no-change': 'ok',
};

export interface HostDeployResult {
  host: string;
  app: string;
  outcome: DeployOutcome;
  /** The release the host runs now (or would run, in a dry run). */
  release: string | undefined;
  previousRelease: string | undefined;
  uploadedBytes: number;
  restarted: boolean;
  pruned: string[];
  /** Time spent on this host's own steps (staging and its batch), not waiting for other batches. */
  durationMs: number;
  error?: string;
  /** The run-once hook this host ran for the whole deploy (`beforeSwitchOnce`). */
  ranOnce?: string;
  /** Dry run only: what would change. */
  dryRun?: { confDiff: string; programs: string[]; lockHeldBy?: string; converge?: string };
}

/** What every result starts from before a step says more. */
export function blankResult(host: string, app: string, outcome: DeployOutcome): HostDeployResult {
  return {
    host,
    app,
    outcome,
    release: undefined,
    previousRelease: undefined,
    uploadedBytes: 0,
    restarted: false,
    pruned: [],
    durationMs: 0,
  };
}

/** Joins notes (an error, then what was left behind) into one message. */
export function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const kept = notes.filter((n): n is string => n !== undefined && n !== '');
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** The run's counts, one per host and app, as every command counts its hosts. */
export function summarizeDeploy(results: readonly HostDeployResult[], durationMs: number): RunSummary {
  const count = (status: HostStatus) => results.filter((r) => outcomeStatus[r.outcome] === status).length;
  return {
    total: results.length,
    ok: count('ok'),
    failed: count('failed'),
    unreachable: count('unreachable'),
    skipped: count('skipped'),
    durationMs: Math.round(durationMs),
  };
}
