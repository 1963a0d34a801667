// The deploy engine (docs/deploy.md): stage on every host first, then switch batch by batch under one failure
// budget; a host whose new release fails goes back, and so does the rest of a batch when the budget is spent.
// It drives each host through AppOnHost, so its logic is tested with fakes (test/unit/deploy/engine.test.ts).
import type { HostConfig } from '../inventory/types.ts';
import type { Amount } from '../units/amount.ts';
import { planBatches, runRolling } from '../orchestration/rolling.ts';
import type { HostOutcome } from '../orchestration/run-on-hosts.ts';
import { runOnHosts } from '../orchestration/run-on-hosts.ts';
import type { NormalisedBatchHook } from '../tasks/normalised.ts';
import type { BatchFailures } from '../orchestration/rolling.ts';
import { batchHookEnv } from './hooks.ts';
import type { AppOnHost, HostPlan } from './host-deploy.ts';
import type { DeployOutcome, HostDeployResult } from './results.ts';
import { blankResult, joinNotes } from './results.ts';

export interface DeployListener {
  /** A step starts on a host (`detail` says on what). */
  step?: (host: string, app: string, step: string, detail?: string) => void;
  /** A rolling batch starts. */
  batch?: (index: number, total: number, hosts: readonly string[]) => void;
  /** A host's result as it is decided (a host reverted with its batch reports twice). */
  hostDone?: (result: HostDeployResult) => void;
  /** A line of a batch hook run on this machine (`hook`: `beforeBatch 2`). */
  hookOutput?: (hook: string, line: string) => void;
}

/** The hook that runs once per deploy, and the hosts that may run it, in the deploy's order (docs/tasks.md). */
export interface RunOnce {
  hook: 'beforeSwitchOnce';
  /** The first of these that staged runs it (all the deploy's hosts unless the app names a host or group). */
  hosts: readonly string[];
}

/** Runs a batch hook on this machine (`sh -c`; a fake in tests); rejects when it fails. */
export type RunLocal = (
  name: string,
  command: string,
  env: Readonly<Record<string, string>>,
  onLine: (line: string) => void,
) => Promise<void>;

/** What every per-app run over hosts needs. */
export interface EngineOptions {
  hosts: readonly HostConfig[];
  app: string;
  /** A deploy of the app's artifact (default), or a rollback: to `to`, else the release verified before current. */
  action?: 'deploy' | 'rollback' | undefined;
  to?: string | undefined;
  /** The app's steps on one host (over SSH; a fake in tests). */
  open: (host: HostConfig) => Promise<AppOnHost>;
  now: Date;
  concurrency: number;
  listener?: DeployListener | undefined;
  /** True once the user asked to stop (Ctrl-C): nothing more is switched; staged hosts are unlocked and skipped. */
  stopRequested?: (() => boolean) | undefined;
  /** Settles when a stop is asked for: it cuts a rolling pause short. */
  stopped?: Promise<void> | undefined;
  /** `--adopt`: replace confs that are not Convoy's own (a backup is kept) instead of stopping. */
  adopt?: boolean | undefined;
  /** The app's run-once hook (a deploy runs it, a rollback does not). */
  runOnce?: RunOnce | undefined;
  /** The app's batch hooks: `remote` ones run through each AppOnHost, `local` ones through `runLocal`. */
  batchHooks?: { before?: NormalisedBatchHook | undefined; after?: NormalisedBatchHook | undefined } | undefined;
  runLocal?: RunLocal | undefined;
  /** Called once every host has staged (or failed to): what only staging needed goes (fan-out's keys). */
  afterStaging?: (() => Promise<void>) | undefined;
}

export interface Rollout {
  /** Switch batch by batch (stage still happens everywhere first); absent = all staged hosts at once. */
  batches?: { batch: Amount; canary: number; pauseMs: number } | undefined;
  /** Hosts that may fail (staging, switching, or unreachable) before the deploy stops. */
  maxFail: number;
}

interface Staged {
  deploy: AppOnHost;
  plan: HostPlan;
  host: HostConfig;
}

/** Each host's result, and the time it spent on its own steps (a rolling host waits for earlier batches). */
class ResultBook {
  private readonly results = new Map<string, HostDeployResult>();
  private readonly spentMs = new Map<string, number>();
  /** When the phase a host is in now started (its result may be decided before the phase ends). */
  private readonly phaseStarted = new Map<string, number>();

  /** The host that ran the run-once hook: its result says so. */
  ranOnceOn: string | undefined;

  constructor(private readonly options: EngineOptions) {}

  /** Runs one phase of a host's work, adding its time to the host's own. */
  async timed<T>(host: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.phaseStarted.set(host, started);
    try {
      return await work();
    } finally {
      this.phaseStarted.delete(host);
      this.spentMs.set(host, (this.spentMs.get(host) ?? 0) + performance.now() - started);
    }
  }

  private spentSoFar(host: string): number {
    const phase = this.phaseStarted.get(host);
    return (this.spentMs.get(host) ?? 0) + (phase === undefined ? 0 : performance.now() - phase);
  }

  finish(host: string, outcome: DeployOutcome, fields: Partial<HostDeployResult> = {}): void {
    const result: HostDeployResult = {
      ...blankResult(host, this.options.app, outcome),
      ...fields,
      ...(host === this.ranOnceOn && this.options.runOnce ? { ranOnce: this.options.runOnce.hook } : {}),
      durationMs: Math.round(this.spentSoFar(host)),
    };
    this.results.set(host, result);
    this.options.listener?.hostDone?.(result);
  }

  /** Adds a note (a lock left behind) to a result already decided. */
  note(host: string, note: string | undefined): void {
    const current = this.results.get(host);
    if (note && current) this.results.set(host, { ...current, error: joinNotes(current.error, note) });
  }

  get(host: string): HostDeployResult | undefined {
    return this.results.get(host);
  }

  inHostOrder(): HostDeployResult[] {
    return this.options.hosts.map((h) => this.results.get(h.name)).filter((r) => r !== undefined);
  }
}

/** Releases the host's lock; what is left behind (and how to remove it) comes back as a note. */
async function unlockNote(deploy: AppOnHost | undefined): Promise<string | undefined> {
  if (!deploy?.holdsLock) return undefined;
  try {
    await deploy.unlock();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export async function deployApp(options: EngineOptions, rollout: Rollout): Promise<HostDeployResult[]> {
  const book = new ResultBook(options);
  const { staged, failedToStage } = await stageEverywhere(options, book);
  await options.afterStaging?.();
  const interrupted = options.stopRequested?.() ?? false;
  if (failedToStage.length > rollout.maxFail || interrupted) {
    const why = interrupted
      ? 'not switched: interrupted (Ctrl-C) after staging'
      : `not switched: staging failed on ${failedToStage.join(', ')}`;
    await Promise.all(staged.map((s) => skip(book, s, why)));
    return book.inHostOrder();
  }
  const stopped = await runOnceBeforeSwitch(options, book, staged);
  if (stopped) {
    await Promise.all(staged.filter((x) => x.host.name !== stopped.host).map((s) => skip(book, s, stopped.why)));
    return book.inHostOrder();
  }
  await switchInBatches(options, rollout, book, staged, failedToStage.length);
  return book.inHostOrder();
}

/** Whether the plan changes anything on its host (a host with nothing to do is left out of hooks). */
function changes(plan: HostPlan): boolean {
  return plan.releaseChanged || plan.confChanged || plan.converge !== undefined;
}

/**
 * The run-once hook, on one staged host, before any host switches; a deploy that changes no release does not run
 * it, nor does a rollback. When it cannot run or fails, nothing switches: the host it failed on is failed (`host`),
 * every other staged host is skipped with `why`.
 */
async function runOnceBeforeSwitch(
  options: EngineOptions,
  book: ResultBook,
  staged: readonly Staged[],
): Promise<{ host?: string; why: string } | undefined> {
  const once = options.runOnce;
  if (!once || options.action === 'rollback' || !staged.some((s) => s.plan.releaseChanged)) return undefined;
  const chosen = once.hosts.map((name) => staged.find((s) => s.host.name === name)).find((s) => s !== undefined);
  if (!chosen) return { why: `not switched: no host that may run ${once.hook} (${once.hosts.join(', ')}) staged` };
  const name = chosen.host.name;
  options.listener?.step?.(name, options.app, once.hook, 'runs once for the deploy, on this host');
  try {
    await book.timed(name, () => chosen.deploy.runOnce(chosen.plan));
  } catch (error) {
    const lockNote = await unlockNote(chosen.deploy);
    const said = `${once.hook} failed: ${(error as Error).message}`;
    const { previousRelease } = chosen.plan;
    book.finish(name, 'failed', { release: previousRelease, previousRelease, error: joinNotes(said, lockNote) });
    return { host: name, why: `not switched: ${once.hook} failed on ${name}` };
  }
  book.ranOnceOn = name;
  if (options.stopRequested?.()) return { why: 'not switched: interrupted (Ctrl-C) after staging' };
  return undefined;
}

/** Lock, read, upload what is missing, unpack, on every host at once. A host that fails here has nothing live changed. */
async function stageEverywhere(
  options: EngineOptions,
  book: ResultBook,
): Promise<{ staged: Staged[]; failedToStage: string[] }> {
  const opened = new Map<string, AppOnHost>();
  const { outcomes } = await runOnHosts(options.hosts, { concurrency: options.concurrency }, async (host) => {
    // A host still waiting for its turn (-c) when a stop is asked for is not started at all.
    if (options.stopRequested?.()) return { value: undefined, ok: true };
    return book.timed(host.name, async () => {
      const deploy = await options.open(host);
      opened.set(host.name, deploy);
      // A host with nothing to change, as the ownership pass read it: no lock, nothing staged, nothing written.
      const asRead = options.action === 'rollback' ? undefined : await deploy.unchangedAsRead(options.now);
      const plan = asRead ?? (await lockAndStage(options, deploy, host.name));
      options.listener?.step?.(host.name, options.app, 'staged', plan.release);
      return { value: { deploy, plan, host } as Staged | undefined, ok: true };
    });
  });
  const failed = outcomes.filter((o) => o.status !== 'ok');
  await Promise.all(
    failed.map(async (o) => {
      const lockNote = await unlockNote(opened.get(o.host));
      book.finish(o.host, o.status === 'unreachable' ? 'unreachable' : 'failed', {
        error: joinNotes(o.error?.message, lockNote),
      });
    }),
  );
  for (const o of outcomes.filter((x) => x.status === 'ok' && !x.value)) {
    book.finish(o.host, 'skipped', { error: 'not staged: interrupted before its turn' });
  }
  const staged = outcomes.flatMap((o) => (o.status === 'ok' && o.value ? [o.value] : []));
  return { staged, failedToStage: failed.map((o) => o.host) };
}

async function lockAndStage(options: EngineOptions, deploy: AppOnHost, host: string): Promise<HostPlan> {
  options.listener?.step?.(host, options.app, 'lock');
  await deploy.lock();
  const plan = await planOn(options, deploy);
  await deploy.stage(plan);
  return plan;
}

async function skip(book: ResultBook, s: Staged, why: string): Promise<void> {
  const lockNote = await unlockNote(s.deploy);
  book.finish(s.host.name, 'skipped', {
    release: s.plan.previousRelease,
    previousRelease: s.plan.previousRelease,
    error: joinNotes(why, lockNote),
  });
}

/**
 * Switch, batch by batch: a host whose new release does not come up goes back to its previous one; when the run's
 * failure budget is spent, the rest of that batch goes back too and later batches are not touched.
 */
async function switchInBatches(
  options: EngineOptions,
  rollout: Rollout,
  book: ResultBook,
  staged: Staged[],
  alreadyFailed: number,
): Promise<void> {
  const batches = rollout.batches ? planBatches(staged, rollout.batches.batch, rollout.batches.canary) : [staged];
  const byName = new Map(staged.map((s) => [s.host.name, s]));
  const run = await runRolling(
    batches.map((b) => b.map((s) => ({ ...s, name: s.host.name }))),
    {
      pauseMs: rollout.batches?.pauseMs ?? 0,
      maxFail: rollout.maxFail,
      alreadyFailed,
      concurrency: options.concurrency,
      stopRequested: options.stopRequested,
      stopped: options.stopped,
      onBatch: (index, names) => {
        if (rollout.batches) options.listener?.batch?.(index, batches.length, names);
      },
      beforeBatch: (index, hosts) => beforeBatch(options, book, index, hosts),
      batchPassed: (index, hosts) => afterBatch(options, book, index, hosts),
      afterBatch: (outcomes, stopping) => closeBatch(book, byName, outcomes, stopping),
    },
    (s) => book.timed(s.host.name, () => switchHost(options.action, book, s)),
  );
  const why =
    run.stopReason === 'interrupted' ? 'not touched: interrupted (Ctrl-C)' : 'not touched: the rollout stopped';
  const skipped = run.outcomes.filter((x) => x.status === 'skipped');
  await Promise.all(skipped.map((o) => byName.get(o.host)).map((s) => (s ? skip(book, s, why) : undefined)));
}

/**
 * Why the run must stop before anything is staged, read on every host (and changing none): confs that are not
 * Convoy's own, sections another conf defines too. A host that cannot be reached is left to the run to report.
 */
export async function confOwnershipProblems(options: EngineOptions): Promise<string[]> {
  const { outcomes } = await runOnHosts(options.hosts, { concurrency: options.concurrency }, async (host) => {
    const deploy = await options.open(host);
    return { value: await deploy.ownership(options.adopt ?? false), ok: true };
  });
  return outcomes.flatMap((o) => o.value ?? []);
}

/** What the run does on one host: deploy the artifact, or roll back. */
export function planOn(options: EngineOptions, deploy: AppOnHost): Promise<HostPlan> {
  return options.action === 'rollback' ? deploy.rollbackPlan(options.to) : deploy.inspect(options.now);
}

/** How a switch that passed reads: a new release (or an earlier one, for a rollback), a conf, a restart, nothing. */
function switchedOutcome(action: EngineOptions['action'], plan: HostPlan): DeployOutcome {
  if (plan.releaseChanged) return action === 'rollback' ? 'rolled-back' : 'deployed';
  if (plan.confChanged) return 'conf-updated';
  return plan.converge !== undefined ? 'converged' : 'unchanged';
}

/** Switches one host; a failure reverts it there and then, so that it never stays on a release that failed. */
async function switchHost(
  action: EngineOptions['action'],
  book: ResultBook,
  s: Staged,
): Promise<{ value: null; ok: boolean }> {
  const { deploy, plan } = s;
  const common = { previousRelease: plan.previousRelease, uploadedBytes: plan.uploadBytes };
  try {
    const outcome = await deploy.switch(plan);
    const kind = switchedOutcome(action, plan);
    // The new release is live and healthy: old releases that could not be removed are a note, not a failure.
    const pruned = await deploy.prune(plan).then(
      (doomed) => ({ doomed, note: undefined }),
      (error: unknown) => ({ doomed: [] as string[], note: (error as Error).message }),
    );
    book.finish(s.host.name, kind, {
      ...common,
      release: plan.release,
      restarted: outcome.restarted,
      pruned: pruned.doomed,
      ...(pruned.note ? { error: pruned.note } : {}),
    });
    return { value: null, ok: true };
  } catch (error) {
    await goBack(book, s, (error as Error).message);
    return { value: null, ok: false };
  }
}

/** A host whose switch failed (or its afterBatch hook): back to its previous release and conf, when it had one. */
async function goBack(book: ResultBook, s: Staged, message: string): Promise<void> {
  const { deploy, plan } = s;
  const common = { previousRelease: plan.previousRelease, uploadedBytes: plan.uploadBytes };
  if (plan.previousRelease === undefined && !plan.confChanged) {
    book.finish(s.host.name, 'failed', { ...common, release: plan.release, restarted: true, error: message });
    return;
  }
  try {
    await deploy.revert(plan);
    book.finish(s.host.name, 'reverted', { ...common, release: plan.previousRelease, restarted: true, error: message });
  } catch (revertError) {
    const said = `${message}; revert failed: ${(revertError as Error).message}`;
    book.finish(s.host.name, 'failed', { ...common, release: plan.release, restarted: true, error: said });
  }
}

/**
 * Runs a batch hook for the hosts of a batch that change: once on this machine (its failure is every one of theirs),
 * or on each of them. Returns the hosts it failed on, with the error.
 */
async function runBatchHook(
  options: EngineOptions,
  book: ResultBook,
  which: 'beforeBatch' | 'afterBatch',
  index: number,
  hosts: readonly Staged[],
): Promise<Map<string, Error>> {
  const hook = which === 'beforeBatch' ? options.batchHooks?.before : options.batchHooks?.after;
  const failed = new Map<string, Error>();
  if (!hook || hosts.length === 0) return failed;
  const fail = (s: Staged, error: unknown) =>
    failed.set(s.host.name, new Error(`${which} hook failed: ${(error as Error).message}`, { cause: error }));
  if (hook.where === 'remote') {
    await Promise.all(
      hosts.map(async (s) => {
        options.listener?.step?.(s.host.name, options.app, which, `batch ${index + 1}`);
        await book.timed(s.host.name, () => s.deploy.batchHook(which, s.plan, index + 1)).catch((e) => fail(s, e));
      }),
    );
    return failed;
  }
  const name = `${which} ${index + 1}`;
  for (const s of hosts) options.listener?.step?.(s.host.name, options.app, which, 'on this machine');
  const env = batchHookEnv(
    options.app,
    hosts[0]?.plan.release ?? '',
    index + 1,
    hosts.map((s) => s.host),
  );
  const onLine = (line: string) => options.listener?.hookOutput?.(name, line);
  try {
    if (!options.runLocal) throw new Error('no way to run a hook on this machine');
    await options.runLocal(name, hook.command, env, onLine);
  } catch (error) {
    for (const s of hosts) fail(s, error);
  }
  return failed;
}

/** Before a batch switches: its hosts that the hook failed on are failed, not switched (nothing changed there). */
async function beforeBatch(
  options: EngineOptions,
  book: ResultBook,
  index: number,
  batch: readonly Staged[],
): Promise<BatchFailures> {
  const failed = await runBatchHook(
    options,
    book,
    'beforeBatch',
    index,
    batch.filter((s) => changes(s.plan)),
  );
  for (const s of batch) {
    const error = failed.get(s.host.name);
    const { previousRelease } = s.plan;
    if (error) book.finish(s.host.name, 'failed', { release: previousRelease, previousRelease, error: error.message });
  }
  return failed;
}

/** After a batch's hosts passed their gate: the hosts the hook failed on go back, as if their gate had failed. */
async function afterBatch(
  options: EngineOptions,
  book: ResultBook,
  index: number,
  passed: readonly Staged[],
): Promise<BatchFailures> {
  const switched = passed.filter((s) => changes(s.plan));
  const failed = await runBatchHook(options, book, 'afterBatch', index, switched);
  for (const s of switched) {
    const error = failed.get(s.host.name);
    if (error) await book.timed(s.host.name, () => goBack(book, s, error.message));
  }
  return failed;
}

/** After each batch: when the rollout stops there, its switched hosts go back too; then every lock is released. */
async function closeBatch(
  book: ResultBook,
  byName: ReadonlyMap<string, Staged>,
  outcomes: readonly HostOutcome<unknown>[],
  stopping: boolean,
): Promise<void> {
  // Every host at once: one after the other, 50 unlocks at a round trip each were most of an unchanged deploy.
  await Promise.all(
    outcomes.map(async (o) => {
      const s = byName.get(o.host);
      if (!s) return;
      if (stopping && o.status === 'ok' && book.get(o.host)?.outcome !== 'unchanged') {
        await book.timed(o.host, () => revertWithBatch(book, s));
      }
      book.note(o.host, await unlockNote(s.deploy));
    }),
  );
}

async function revertWithBatch(book: ResultBook, s: Staged): Promise<void> {
  const { plan } = s;
  try {
    await s.deploy.revert(plan);
    book.finish(s.host.name, 'reverted', {
      release: plan.previousRelease,
      previousRelease: plan.previousRelease,
      uploadedBytes: plan.uploadBytes,
      restarted: true,
      error: 'its batch failed the health gate',
    });
  } catch (error) {
    book.finish(s.host.name, 'failed', {
      release: plan.release,
      previousRelease: plan.previousRelease,
      restarted: true,
      error: `its batch failed; revert failed: ${(error as Error).message}`,
    });
  }
}

/** The result of a host whose work threw before it could say more (unreachable, or failed early). */
export function unfinished(app: string, o: HostOutcome<unknown>): HostDeployResult {
  return {
    ...blankResult(o.host, app, o.status === 'unreachable' ? 'unreachable' : 'failed'),
    durationMs: o.durationMs,
    error: o.error?.message ?? '',
  };
}
