// Rolling runs: hosts in batches (an optional canary batch first), a pause between batches, and one failure budget
// for the whole run. Pure scheduling: what runs on a host is the caller's.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Amount } from '../units/amount.ts';
import type { HostOutcome, Judged, RunSummary } from './run-on-hosts.ts';
import { runOnHosts, summarize } from './run-on-hosts.ts';

/** A share of `total`, rounded up and at least 1 (a batch of 0 hosts would never finish). */
export function batchSize(amount: Amount, total: number): number {
  const n = amount.kind === 'count' ? amount.value : Math.ceil((amount.value / 100) * total);
  return Math.max(1, Math.min(total, n));
}

/** How many hosts may fail in the whole run: a count, or a share of `total` rounded down. */
export function failureBudget(amount: Amount | undefined, total: number): number {
  if (!amount) return 0;
  return amount.kind === 'count' ? amount.value : Math.floor((amount.value / 100) * total);
}

/** Batches in host order: `canary` hosts alone first, then batches of `batch`. */
export function planBatches<H>(hosts: readonly H[], batch: Amount, canary = 0): H[][] {
  const batches: H[][] = [];
  const first = Math.min(canary, hosts.length);
  if (first > 0) batches.push(hosts.slice(0, first));
  const size = batchSize(batch, hosts.length);
  for (let i = first; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return batches;
}

/** Hosts a batch hook failed, with why. */
export type BatchFailures = ReadonlyMap<string, Error>;

export interface RollingOptions<H extends { name: string } = { name: string }> {
  pauseMs: number;
  /** Failures (failed or unreachable hosts) the run may absorb; one more stops it. */
  maxFail: number;
  /** Failures already spent before the first batch (e.g. hosts that could not stage). */
  alreadyFailed?: number;
  concurrency: number;
  onBatch?: (index: number, hosts: readonly string[]) => void;
  /** Each host's outcome as it ends (skipped hosts included, when the run stops). */
  onOutcome?: (outcome: HostOutcome<unknown>) => void;
  /** Before a batch's hosts are worked on: the hosts it fails are not worked on, and count as failures. */
  beforeBatch?: (index: number, hosts: readonly H[]) => Promise<BatchFailures>;
  /**
   * After a batch's hosts, unless the run stops there: told the hosts that passed, it may fail some of them (they
   * count as failures, as if their own work had failed).
   */
  batchPassed?: (index: number, passed: readonly H[]) => Promise<BatchFailures>;
  /** Runs after each batch, told whether the run stops there (to undo that batch, say). */
  afterBatch?: (outcomes: readonly HostOutcome<unknown>[], stopping: boolean) => Promise<void>;
  /** Ends the run before the next batch (Ctrl-C): in-flight hosts finish, later ones are skipped. */
  stopRequested?: (() => boolean) | undefined;
  /** Settles when a stop is asked for: it cuts a pause short. */
  stopped?: Promise<void> | undefined;
  wait?: (ms: number) => Promise<unknown>;
}

export interface RollingResult<T> {
  outcomes: HostOutcome<T>[];
  summary: RunSummary;
  /** Index of the batch after which the run stopped, if it stopped early. */
  stoppedAfterBatch?: number;
  stopReason?: 'failures' | 'interrupted';
}

export async function runRolling<H extends { name: string }, T>(
  batches: readonly (readonly H[])[],
  options: RollingOptions<H>,
  work: (host: H) => Promise<Judged<T>>,
): Promise<RollingResult<T>> {
  const started = performance.now();
  const outcomes: HostOutcome<T>[] = [];
  let failures = options.alreadyFailed ?? 0;
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  for (const [index, batch] of batches.entries()) {
    // The pause comes first, so that a stop asked for during it (Ctrl-C, SIGTERM) starts no new batch; the stop
    // also cuts it short: a canary's pause exists to watch and abort.
    if (index > 0 && options.pauseMs > 0 && failures <= options.maxFail && !options.stopRequested?.()) {
      await Promise.race([wait(options.pauseMs), ...(options.stopped ? [options.stopped] : [])]);
    }
    const stop = options.stopRequested?.() ? 'interrupted' : failures > options.maxFail ? 'failures' : undefined;
    if (stop) {
      for (const host of batches.slice(index).flat()) {
        const skipped: HostOutcome<T> = { host: host.name, status: 'skipped', durationMs: 0 };
        outcomes.push(skipped);
        options.onOutcome?.(skipped);
      }
      return {
        outcomes,
        summary: summarize(outcomes, performance.now() - started),
        stoppedAfterBatch: index - 1,
        stopReason: stop,
      };
    }
    options.onBatch?.(
      index,
      batch.map((h) => h.name),
    );
    const batchOutcomes = await runBatch(index, batch, options, work);
    failures += batchOutcomes.filter((o) => o.status !== 'ok').length;
    const passed = batch.filter((h) => batchOutcomes.some((o) => o.host === h.name && o.status === 'ok'));
    if (failures <= options.maxFail && options.batchPassed && passed.length > 0) {
      const failedAfter = await options.batchPassed(index, passed);
      failures += passed.filter((h) => failedAfter.has(h.name)).length;
      batchOutcomes.splice(0, batchOutcomes.length, ...withFailures(batchOutcomes, failedAfter));
    }
    outcomes.push(...batchOutcomes);
    // The budget spent in any batch, the last one included, stops the run there: that batch goes back.
    await options.afterBatch?.(batchOutcomes, failures > options.maxFail);
  }
  return { outcomes, summary: summarize(outcomes, performance.now() - started) };
}

/** One batch: its `beforeBatch`, then the work on the hosts it did not fail; outcomes in batch order. */
async function runBatch<H extends { name: string }, T>(
  index: number,
  batch: readonly H[],
  options: RollingOptions<H>,
  work: (host: H) => Promise<Judged<T>>,
): Promise<HostOutcome<T>[]> {
  const refused = (await options.beforeBatch?.(index, batch)) ?? new Map<string, Error>();
  const refusedOutcomes = withFailures(
    batch
      .filter((h) => refused.has(h.name))
      .map((h): HostOutcome<T> => ({ host: h.name, status: 'ok', durationMs: 0 })),
    refused,
  );
  for (const o of refusedOutcomes) options.onOutcome?.(o);
  const { outcomes: ran } = await runOnHosts(
    batch.filter((h) => !refused.has(h.name)),
    { concurrency: options.concurrency, ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}) },
    work,
  );
  const all = [...refusedOutcomes, ...ran];
  return batch.flatMap((h) => all.filter((o) => o.host === h.name));
}

/** The outcomes with the hosts in `failures` failed, with the error given. */
function withFailures<T>(outcomes: readonly HostOutcome<T>[], failures: BatchFailures): HostOutcome<T>[] {
  return outcomes.map((o) => {
    const error = failures.get(o.host);
    return error && o.status === 'ok' ? { ...o, status: 'failed', error } : o;
  });
}
