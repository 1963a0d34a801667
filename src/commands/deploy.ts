// `convoy deploy <target> [app…]` and `convoy rollback <target> [app]`: per-host progress lines, a final table.
// Both run through the same engine (docs/deploy.md): batches, the gate, one failure budget, the deploy record.
import { UsageError, ValidationError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { appSpecFor } from '../deploy/app-spec.ts';
import { prepareArtifact } from '../deploy/artifact.ts';
import type { PreparedArtifact } from '../deploy/artifact.ts';
import type { DeployListener, EngineOptions, Rollout, RunOnce } from '../deploy/engine.ts';
import { runLocalHook } from '../deploy/local-hook.ts';
import { defaultStepTimeoutMs } from '../host/fleet.ts';
import { confOwnershipProblems, deployApp } from '../deploy/engine.ts';
import { newLockOwner } from '../deploy/lock.ts';
import type { LockOwner } from '../deploy/lock.ts';
import { appOpener } from '../deploy/open.ts';
import { planApp } from '../deploy/plan.ts';
import { renderConf } from '../deploy/render-conf.ts';
import { releaseFilesFor } from '../deploy/release-files.ts';
import type { HostDeployResult } from '../deploy/results.ts';
import { outcomeStatus, summarizeDeploy } from '../deploy/results.ts';
import { rollbackApp } from '../deploy/rollback.ts';
import type { Fleet } from '../host/fleet.ts';
import type { Amount } from '../units/amount.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { failureBudget, planBatches } from '../orchestration/rolling.ts';
import type { Reporter } from '../output/events.ts';
import { chooseReporter } from '../output/reporters/choose.ts';
import { showDeploy, showNarrowed } from '../output/views/deploy.ts';
import { deployWords } from '../output/words.ts';
import type { AppTarget } from './deploy-context.ts';
import { artifactSource, loadDeployContext } from './deploy-context.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, gitState, openFleet } from './fleet-context.ts';
import type { Interruption } from './interruption.ts';
import { lockWaitOf } from './lock-wait.ts';
import { defaultNotifyTimeoutMs } from '../inventory/webhooks.ts';
import type { DeployContext } from './deploy-context.ts';
import type { NotifierOptions } from './notify.ts';
import { noticeStart } from './notify.ts';
import { interruptedWith } from './interruption.ts';
import type { Fanout } from '../deploy/fanout.ts';
import { PreReads } from '../deploy/pre-read.ts';
import { endFanout, fanoutFor } from './deploy-fanout.ts';
import type { RetryPlan, RunJournal } from './run-journal.ts';

/** What deploy and rollback share: the rollout flags, dry run, lock breaking, the command line for the lock. */
interface AppRunOptions extends FleetContextOptions {
  target: string;
  dryRun: boolean;
  forceUnlock: boolean;
  /** `--lock-wait`: wait this long for a lock held by a live owner (absent: refuse at once). */
  lockWaitMs?: number | undefined;
  maxFail?: Amount | undefined;
  rolling?: Amount | undefined;
  canary?: number | undefined;
  pauseMs?: number | undefined;
  interruption?: Interruption;
  /** The command line, recorded in the lock so that a second deploy can say who holds it. */
  commandLine: string;
  output: Output;
}

export interface DeployCommandOptions extends AppRunOptions {
  apps: readonly string[];
  /** Replace confs Convoy did not write, keeping a backup. */
  adopt: boolean;
  /** `--fanout K`: hosts pass the artifact on to each other (docs/deploy.md, "Fan-out"); absent: the app's, the inventory's. */
  fanout?: number | undefined;
}

export interface RollbackCommandOptions extends AppRunOptions {
  app?: string | undefined;
  /** A release id to go back to; default: the one verified before the current one, per host. */
  to?: string | undefined;
}

/** Flags win over the app's own `rolling`; neither = every host at once with no failure allowed. */
function rolloutFor(options: AppRunOptions, app: AppTarget): Rollout {
  const own = app.app.spec.rolling;
  const batch = options.rolling ?? own?.batch;
  const pauseMs = options.pauseMs ?? own?.pauseMs ?? 0;
  return {
    maxFail: failureBudget(options.maxFail ?? own?.maxFail, app.hosts.length),
    batches: batch ? { batch, canary: options.canary ?? own?.canary ?? 0, pauseMs } : undefined,
  };
}

/** The engine's callbacks, as events for this terminal's reporter and lines of the run journal. */
function reporting(reporter: Reporter, journal: RunJournal | undefined): DeployListener {
  return {
    step: (host, app, step, detail) => {
      journal?.step(host, step, app);
      reporter.event({
        type: 'step',
        host,
        step: `${app}: ${step}`,
        detail,
        ...(step === 'staged' ? { staged: true } : {}),
      });
    },
    batch: (index, total, hosts) => reporter.event({ type: 'batch', index, total, hosts: [...hosts] }),
    hookOutput: (hook, line) => reporter.event({ type: 'note', text: `[${hook}] ${line}` }),
    hostDone: (r) => {
      journalResult(journal, r);
      reporter.event({
        type: 'host',
        host: r.host,
        durationMs: r.durationMs,
        detail: r.error ?? `${r.app} ${deployWords[r.outcome]}${r.release ? ` ${r.release}` : ''}`,
        status: outcomeStatus[r.outcome],
      });
    },
  };
}

/** One host's end for one app, in the run journal: how it counts, the outcome's word or error, its release. */
function journalResult(journal: RunJournal | undefined, r: HostDeployResult): void {
  journal?.finished(r.host, outcomeStatus[r.outcome], {
    app: r.app,
    detail: r.error ?? r.outcome,
    ...(r.release ? { release: r.release } : {}),
  });
}

/**
 * A retry deploys the artifact the retried run deployed, or nothing: one rebuilt since (another digest) stops it
 * before any host is touched, naming both digests.
 */
function refuseChangedArtifacts(
  retry: RetryPlan | undefined,
  targets: readonly AppTarget[],
  artifacts: readonly PreparedArtifact[],
) {
  const changed = targets.flatMap((t, i) => {
    const was = retry?.digests?.[t.app.spec.name];
    const now = artifacts[i]?.sha256;
    return was !== undefined && now !== undefined && was !== now
      ? [
          `app '${t.app.spec.name}': ${t.app.spec.artifact} was sha256 ${was} in run ${retry!.of}, it is now sha256 ${now}`,
        ]
      : [];
  });
  if (changed.length > 0)
    throw new ValidationError(
      'retry: nothing was touched: the artifact changed since the run it retries (deploy it with `convoy deploy`)',
      changed,
    );
}

/** The run's hosts (per app), its release time and artifact digests, in the journal before any host is touched. */
function beginJournal(
  options: AppRunOptions,
  action: string,
  targets: readonly AppTarget[],
  run: RunParts,
  artifacts: readonly PreparedArtifact[],
): void {
  if (options.dryRun) return;
  options.journal?.begin({
    command: action,
    target: options.target,
    hosts: targets.flatMap((t) => t.hosts.map((h) => ({ host: h.name, app: t.app.spec.name }))),
    releaseTime: action === 'deploy' ? run.now : undefined,
    digests:
      action === 'deploy'
        ? Object.fromEntries(targets.map((t, i) => [t.app.spec.name, artifacts[i]?.sha256 ?? '']))
        : undefined,
  });
}

export function deployCommand(options: DeployCommandOptions): Promise<number> {
  return runApps('deploy', options, options.apps, undefined, options.adopt);
}

export async function rollbackCommand(options: RollbackCommandOptions): Promise<number> {
  return runApps('rollback', options, options.app ? [options.app] : [], options.to);
}

/** Loads everything first (bad input touches no host), then runs each app in turn, then one table. */
async function runApps(
  action: 'deploy' | 'rollback',
  options: AppRunOptions,
  appNames: readonly string[],
  to: string | undefined,
  adopt = false,
): Promise<number> {
  const started = performance.now();
  // git runs while the task files load; a run that stops on bad input leaves it to finish on its own.
  const git = gitState(options.cwd);
  const context = await loadDeployContext(options, options.target, appNames);
  if (action === 'rollback' && context.targets.length > 1) {
    const apps = context.targets.map((t) => t.app.spec.name).join(', ');
    throw new UsageError(`rollback: name the app to roll back (apps on '${options.target}': ${apps})`);
  }
  const artifacts =
    action === 'deploy' ? await Promise.all(context.targets.map((t) => artifactOf(t, options.cwd))) : [];
  refuseChangedArtifacts(options.retry, context.targets, artifacts);
  const fleet = openFleet(options, context.inventory);
  const run: RunParts = {
    fleet,
    action,
    to,
    adopt,
    owner: newLockOwner(options.commandLine, new Date(), options.env, options.journal?.id),
    ...(await git),
    now: options.retry?.releaseTime ?? new Date(),
    preReads: action === 'deploy' && !options.dryRun ? new PreReads() : undefined,
  };
  beginJournal(options, action, context.targets, run, artifacts);
  const results: HostDeployResult[] = [];
  const notify = notifierFor(options, context, run);
  try {
    await refuseConfsNotOurs(options, context.targets, run);
    for (const [i, t] of context.targets.entries()) {
      if (options.interruption?.requested()) break;
      results.push(...(await runNotified(options, t, { ...run, artifact: artifacts[i] }, notify)));
      run.preReads?.appDone();
    }
  } finally {
    await fleet.close();
    await Promise.all(artifacts.map((a) => a.cleanup()));
  }
  const summary = summarizeDeploy(results, performance.now() - started);
  const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
  showDeploy(options.output, { command: action, results, summary, dryRun: options.dryRun, exitCode });
  return exitCode;
}

/**
 * Reads every host of every app before anything is staged: a conf Convoy did not write (unless adopted) or a section
 * another conf defines too stops the run here, exit 2, with nothing touched.
 */
async function refuseConfsNotOurs(options: AppRunOptions, targets: readonly AppTarget[], run: RunParts): Promise<void> {
  const problems: string[] = [];
  for (const t of targets) problems.push(...(await confOwnershipProblems(engineFor(options, t, run, {}, true))));
  if (problems.length > 0) {
    const summary = `${run.action}: nothing was touched: ${problems.length} problem${problems.length === 1 ? '' : 's'} with confs Convoy does not own`;
    throw new ValidationError(summary, problems);
  }
}

/** One app on its hosts: a dry run, a deploy or a rollback, drawn by the reporter for this terminal. */
async function runApp(options: AppRunOptions, t: AppTarget, run: RunParts): Promise<HostDeployResult[]> {
  const rollout = rolloutFor(options, t);
  showNarrowed(options.output, t.app.spec.name, t.app.spec.hosts ?? 'all', options.target, t.leftOut);
  const names = t.hosts.map((h) => h.name);
  const reporter = chooseReporter(options.output);
  const batches = rollout.batches && !options.dryRun;
  const planned = batches ? planBatches(names, rollout.batches!.batch, rollout.batches!.canary) : [names];
  // A deploy or rollback first stages (or reads) every host: the TTY view shows that as a group of its own.
  reporter.begin(planned, { staging: !options.dryRun });
  const listener = reporting(reporter, options.dryRun ? undefined : options.journal);
  const flag = (options as Partial<DeployCommandOptions>).fanout;
  const fanout =
    run.action === 'deploy' && !options.dryRun
      ? fanoutFor(flag, t, run.owner, run.artifact, (host, step, detail) =>
          listener.step?.(host, t.app.spec.name, step, detail),
        )
      : undefined;
  const engine = {
    ...engineFor(options, t, { ...run, fanout }, listener),
    afterStaging: fanout && (() => endFanout(fanout, reporter, true)),
  };
  try {
    if (options.dryRun) return await planApp(engine);
    return run.action === 'rollback' ? await rollbackApp(engine, rollout, run.to) : await deployApp(engine, rollout);
  } finally {
    await endFanout(fanout, reporter, false);
    await reporter.end();
  }
}

/** How this run's webhooks are told (docs/deploy.md, "Notifications"); a dry run tells none. */
function notifierFor(options: AppRunOptions, context: DeployContext, run: RunParts): NotifierOptions | undefined {
  if (options.dryRun) return undefined;
  const who = `${run.owner.user}@${run.owner.machine}`;
  return {
    out: options.output,
    run: { action: run.action, who, run: run.owner.token },
    timeoutMs: context.inventory.notify?.timeoutMs ?? defaultNotifyTimeoutMs,
  };
}

/** One app, its webhooks told when it starts and how it ended, also when the run stopped on an error. */
async function runNotified(
  options: AppRunOptions,
  t: AppTarget,
  run: RunParts,
  notify: NotifierOptions | undefined,
): Promise<HostDeployResult[]> {
  const app = { app: t.app.spec.name, hosts: t.hosts.map((h) => h.name), release: run.to };
  const notice = notify && noticeStart(notify, app, t.webhooks);
  let results: HostDeployResult[];
  try {
    results = await runApp(options, t, run);
  } catch (error) {
    await notice?.end([], (error as Error).message);
    throw error;
  }
  await notice?.end(results);
  return results;
}

/** The app's run-once hook and the hosts that may run it, in the deploy's order (deploy-context resolved `host`). */
function runOnceOf(t: AppTarget): RunOnce | undefined {
  if (!t.app.spec.hooks.beforeSwitchOnce) return undefined;
  return { hook: 'beforeSwitchOnce', hosts: t.runOnceHosts ?? t.hosts.map((h) => h.name) };
}

/** The app's artifact, relative to the project (not to wherever the process was started). */
async function artifactOf(t: AppTarget, project: string): Promise<PreparedArtifact> {
  return prepareArtifact(artifactSource(t, project));
}

interface RunParts {
  fleet: Fleet;
  action: 'deploy' | 'rollback';
  to: string | undefined;
  owner: LockOwner;
  /** The task repository's git commit, for the deploy record. */
  commit: string | undefined;
  /** It had uncommitted changes to tracked files. */
  dirty: boolean;
  artifact?: PreparedArtifact | undefined;
  /** This app's fan-out uploads (absent: from this machine only). */
  fanout?: Fanout | undefined;
  adopt: boolean;
  /** The time in new release ids: now, or under a retry the retried run's (the same release on every host). */
  now: Date;
  /** A deploy's reads before any lock (absent for a rollback or a dry run): an unchanged host needs no more. */
  preReads: PreReads | undefined;
}

/** The engine's options for one app: how to open it on each host, the listener, and the user's stop. */
function engineFor(
  options: AppRunOptions,
  t: AppTarget,
  run: RunParts,
  listener: DeployListener,
  firstRead = false,
): EngineOptions {
  const concurrency = options.globals.concurrency ?? defaultConcurrency;
  return {
    hosts: t.hosts,
    app: t.app.spec.name,
    action: run.action,
    to: run.to,
    now: run.now,
    concurrency,
    listener,
    stopRequested: () => options.interruption?.requested() ?? false,
    stopped: options.interruption?.promise,
    adopt: run.adopt,
    runOnce: runOnceOf(t),
    batchHooks: { before: t.app.spec.hooks.beforeBatch, after: t.app.spec.hooks.afterBatch },
    runLocal: (name, command, env, onLine) =>
      runLocalHook(`${name} (on this machine)`, command, {
        cwd: options.cwd,
        env,
        timeoutMs: options.globals.stepTimeout ?? t.hosts[0]?.stepTimeoutMs ?? defaultStepTimeoutMs,
        onLine,
      }),
    open: appOpener({
      fleet: run.fleet,
      appFor: (host) => appSpecFor(t.app.spec, host),
      renderConf: (host, release, secrets) => renderConf(t.app.spec, host, release, t.confFiles, secrets),
      secrets: t.secrets,
      releaseFilesFor: (host) => releaseFilesFor(t.app.spec, host, t.templates, t.secrets),
      artifact: run.artifact,
      owner: run.owner,
      forceUnlock: options.forceUnlock,
      lockWait: lockWaitOf(options.lockWaitMs, options.interruption, (host, app, text) =>
        listener.step?.(host, app, 'lock', text),
      ),
      concurrency,
      hostCount: t.hosts.length,
      action: run.action,
      commit: run.commit,
      dirty: run.dirty,
      onStep: listener.step,
      fanout: run.fanout,
      preReads: run.preReads,
      firstRead,
    }),
  };
}
