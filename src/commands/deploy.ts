// `convoy deploy <target> [app…]` and `convoy rollback <target> [app]`: per-host progress lines, a final table.
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showDeploy } from '../output/views/deploy.ts';
import { deployWords } from '../output/words.ts';
import type { Output } from '../output/output.ts';
import { appSpecFor } from '../deploy/app-spec.ts';
import { prepareArtifact } from '../deploy/artifact.ts';
import type { PreparedArtifact } from '../deploy/artifact.ts';
import type { DeployListener, EngineOptions, Rollout } from '../deploy/engine.ts';
import { deployApp } from '../deploy/engine.ts';
import { newLockOwner } from '../deploy/lock.ts';
import type { LockOwner } from '../deploy/lock.ts';
import { appOpener } from '../deploy/open.ts';
import { planApp } from '../deploy/plan.ts';
import { renderConf } from '../deploy/render-conf.ts';
import type { HostDeployResult } from '../deploy/results.ts';
import { outcomeStatus, summarizeDeploy } from '../deploy/results.ts';
import { rollbackApp } from '../deploy/rollback.ts';
import type { Fleet } from '../host/fleet.ts';
import type { Amount } from '../units/amount.ts';
import { failureBudget, planBatches } from '../orchestration/rolling.ts';
import type { Reporter } from '../output/events.ts';
import { chooseReporter } from '../output/reporters/choose.ts';
import type { AppTarget } from './deploy-context.ts';
import { loadDeployContext } from './deploy-context.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import { defaultConcurrency, openFleet } from './fleet-context.ts';

export interface DeployCommandOptions extends FleetContextOptions {
  target: string;
  apps: readonly string[];
  dryRun: boolean;
  forceUnlock: boolean;
  maxFail?: Amount | undefined;
  rolling?: Amount | undefined;
  canary?: number | undefined;
  pauseMs?: number | undefined;
  interruption?: Interruption;
  /** The command line, recorded in the lock so that a second deploy can say who holds it. */
  commandLine: string;
  output: Output;
}

/** Flags win over the app's own `rolling`; neither = every host at once with no failure allowed. */
function rolloutFor(options: DeployCommandOptions, app: AppTarget): Rollout {
  const own = app.app.spec.rolling;
  const batch = options.rolling ?? own?.batch;
  const pauseMs = options.pauseMs ?? own?.pauseMs ?? 0;
  return {
    maxFail: failureBudget(options.maxFail ?? own?.maxFail, app.hosts.length),
    batches: batch ? { batch, canary: options.canary ?? own?.canary ?? 0, pauseMs } : undefined,
  };
}

/** The engine's callbacks, as events for this terminal's reporter. */
function reporting(reporter: Reporter): DeployListener {
  return {
    step: (host, app, step, detail) => reporter.event({ type: 'step', host, step: `${app}: ${step}`, detail }),
    batch: (index, total, hosts) => reporter.event({ type: 'batch', index, total, hosts: [...hosts] }),
    hostDone: (r) =>
      reporter.event({
        type: 'host',
        host: r.host,
        durationMs: r.durationMs,
        detail: r.error ?? `${r.app} ${deployWords[r.outcome]}${r.release ? ` ${r.release}` : ''}`,
        status: outcomeStatus[r.outcome],
      }),
  };
}

/** The run's counts (a host and app pair each) and its exit code, then the view. */
function report(
  options: DeployCommandOptions | RollbackCommandOptions,
  results: HostDeployResult[],
  started: number,
): number {
  const dryRun = 'dryRun' in options && options.dryRun;
  const summary = summarizeDeploy(results, performance.now() - started);
  const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
  const command = 'dryRun' in options ? 'deploy' : 'rollback';
  showDeploy(options.output, { command, results, summary, dryRun, exitCode });
  return exitCode;
}

export async function deployCommand(options: DeployCommandOptions): Promise<number> {
  const started = performance.now();
  const context = await loadDeployContext(options, options.target, options.apps);
  const rollouts = context.targets.map((t) => rolloutFor(options, t));
  const artifacts = await Promise.all(context.targets.map((t) => artifactOf(t, options.cwd)));
  const fleet = openFleet(options);
  const owner = newLockOwner(options.commandLine);
  const results: HostDeployResult[] = [];
  try {
    for (const [i, t] of context.targets.entries()) {
      const rollout = rollouts[i] ?? { maxFail: 0 };
      const artifact = artifacts[i];
      if (!artifact || options.interruption?.requested()) continue;
      const names = t.hosts.map((h) => h.name);
      const reporter = chooseReporter(options.output);
      const batches = rollout.batches && !options.dryRun;
      reporter.begin(batches ? planBatches(names, rollout.batches!.batch, rollout.batches!.canary) : [names]);
      const engine = engineFor(options, t, { fleet, owner, artifact, listener: reporting(reporter) });
      results.push(...(options.dryRun ? await planApp(engine) : await deployApp(engine, rollout)));
      await reporter.end();
    }
  } finally {
    await fleet.close();
    await Promise.all(artifacts.map((a) => a.cleanup()));
  }
  return report(options, results, started);
}

/** The app's artifact, relative to the project (not to wherever the process was started). */
async function artifactOf(t: AppTarget, project: string): Promise<PreparedArtifact> {
  if (!t.app.spec.artifact) throw new UsageError(`${t.app.file}: app '${t.app.spec.name}' has no artifact to deploy`);
  return prepareArtifact(path.relative(process.cwd(), path.resolve(project, t.app.spec.artifact)) || '.');
}

interface EngineParts {
  fleet: Fleet;
  owner: LockOwner;
  artifact?: PreparedArtifact | undefined;
  listener: DeployListener;
}

/** The engine's options for one app: how to open it on each host, the listener, and the user's stop. */
function engineFor(
  options: FleetContextOptions & { forceUnlock: boolean; interruption?: Interruption | undefined },
  t: AppTarget,
  parts: EngineParts,
): EngineOptions {
  const concurrency = options.globals.concurrency ?? defaultConcurrency;
  return {
    hosts: t.hosts,
    app: t.app.spec.name,
    now: new Date(),
    concurrency,
    listener: parts.listener,
    stopRequested: () => options.interruption?.requested() ?? false,
    stopped: options.interruption?.promise,
    open: appOpener({
      fleet: parts.fleet,
      appFor: (host) => appSpecFor(t.app.spec, host),
      renderConf: (host, release) => renderConf(t.app.spec, host, release, t.confFiles),
      artifact: parts.artifact,
      owner: parts.owner,
      forceUnlock: options.forceUnlock,
      concurrency,
      hostCount: t.hosts.length,
      onStep: parts.listener.step,
    }),
  };
}

export interface RollbackCommandOptions extends FleetContextOptions {
  target: string;
  app?: string | undefined;
  to?: string | undefined;
  forceUnlock: boolean;
  commandLine: string;
  output: Output;
  interruption?: Interruption;
}

export async function rollbackCommand(options: RollbackCommandOptions): Promise<number> {
  const started = performance.now();
  const context = await loadDeployContext(options, options.target, options.app ? [options.app] : []);
  if (context.targets.length > 1) {
    const apps = context.targets.map((t) => t.app.spec.name).join(', ');
    throw new UsageError(`rollback: name the app to roll back (apps on '${options.target}': ${apps})`);
  }
  const fleet = openFleet(options);
  const results: HostDeployResult[] = [];
  try {
    for (const t of context.targets) {
      const reporter = chooseReporter(options.output);
      reporter.begin([t.hosts.map((h) => h.name)]);
      const owner = newLockOwner(options.commandLine);
      const engine = engineFor(options, t, { fleet, owner, listener: reporting(reporter) });
      results.push(...(await rollbackApp({ ...engine, stopRequested: undefined }, options.to)));
      await reporter.end();
    }
  } finally {
    await fleet.close();
  }
  return report(options, results, started);
}
