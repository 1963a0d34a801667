// Runs one piece of work per host concurrently; every host ends as a value (ok / failed / unreachable), never hidden.
import pLimit from 'p-limit';
import { ConvoyError, ExitCode } from '../errors.ts';

/** `skipped`: never started, because a rolling run stopped before this host's batch. */
export type HostStatus = 'ok' | 'failed' | 'unreachable' | 'skipped';

export interface HostOutcome<T> {
  host: string;
  status: HostStatus;
  value?: T;
  error?: Error;
  durationMs: number;
}

export interface RunSummary {
  total: number;
  ok: number;
  failed: number;
  unreachable: number;
  skipped: number;
  durationMs: number;
}

/** What one host's work returns: a value, and whether it counts as success (e.g. exit code 0). */
export interface Judged<T> {
  value: T;
  ok: boolean;
}

export interface RunOptions {
  concurrency: number;
  /** Called as each host ends, in completion order (for streaming reporters). */
  onOutcome?: (outcome: HostOutcome<unknown>) => void;
}

export async function runOnHosts<H extends { name: string }, T>(
  hosts: readonly H[],
  options: RunOptions,
  work: (host: H) => Promise<Judged<T>>,
): Promise<{ outcomes: HostOutcome<T>[]; summary: RunSummary }> {
  const started = performance.now();
  const limit = pLimit(options.concurrency);
  const outcomes = await Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<HostOutcome<T>> => {
        const hostStarted = performance.now();
        let outcome: HostOutcome<T>;
        try {
          const { value, ok } = await work(host);
          outcome = {
            host: host.name,
            status: ok ? 'ok' : 'failed',
            value,
            durationMs: Math.round(performance.now() - hostStarted),
          };
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          const status: HostStatus = isUnreachable(err) ? 'unreachable' : 'failed';
          outcome = { host: host.name, status, error: err, durationMs: Math.round(performance.now() - hostStarted) };
        }
        options.onOutcome?.(outcome);
        return outcome;
      }),
    ),
  );
  return { outcomes, summary: summarize(outcomes, performance.now() - started) };
}

export function summarize(outcomes: readonly HostOutcome<unknown>[], durationMs: number): RunSummary {
  const count = (status: HostStatus) => outcomes.filter((o) => o.status === status).length;
  return {
    total: outcomes.length,
    ok: count('ok'),
    failed: count('failed'),
    unreachable: count('unreachable'),
    skipped: count('skipped'),
    durationMs: Math.round(durationMs),
  };
}

/** What else decides an exit code besides the hosts' counts. */
export interface ExitFactors {
  /** A stop signal ended the run: its code (130 SIGINT, 143 SIGTERM, 129 SIGHUP), whatever the hosts did. */
  interruptedWith?: number | undefined;
  /** `status` found a program that is not RUNNING. */
  notRunning?: boolean;
}

/**
 * The one rule for exit codes (docs/command-line.md, "Exit codes"): 130/143/129 when stopped by a signal; 1 when a host failed or was
 * skipped; 3 when a program is not RUNNING; 4 when the only trouble is unreachable hosts; else 0.
 */
export function exitCodeFor(summary: RunSummary, factors: ExitFactors = {}): number {
  if (factors.interruptedWith !== undefined) return factors.interruptedWith;
  if (summary.failed > 0 || summary.skipped > 0) return ExitCode.hostFailed;
  if (factors.notRunning) return ExitCode.notRunning;
  if (summary.unreachable > 0) return ExitCode.unreachable;
  return ExitCode.ok;
}

/** A host that could not be reached, or stopped answering mid-step (the SSH layer marks these with exit code 4). */
function isUnreachable(error: Error): boolean {
  return error instanceof ConvoyError && error.exitCode === ExitCode.unreachable;
}
