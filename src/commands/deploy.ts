// `convoy deploy <target> [app…]` and `convoy rollback <target> [app]`: per-host progress lines, a final table.
import { ExitCode, UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import type { ColorName } from '../output/colors.ts';
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
import type { DeployOutcome, HostDeployResult } from '../deploy/results.ts';
import { outcomeStatus } from '../deploy/results.ts';
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

const resultColors: Record<string, ColorName> = {
  deployed: 'green',
  'config updated': 'green',
  unchanged: 'gray',
  'would change': 'yellow',
  'would not change': 'gray',
  skipped: 'yellow',
};

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

function bytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

const resultWords: Record<DeployOutcome, string> = {
  deployed: 'deployed',
  'conf-updated': 'config updated',
  unchanged: 'unchanged',
  'rolled-back': 'rolled back',
  reverted: 'rolled back',
  failed: 'failed',
  skipped: 'skipped',
  unreachable: 'unreachable',
  'would-change': 'would change',
  'no-change': 'would not change',
};

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
        detail: r.error ?? `${r.app} ${resultWords[r.outcome]}${r.release ? ` ${r.release}` : ''}`,
        status: outcomeStatus[r.outcome],
      }),
  };
}

function report(out: Output, results: HostDeployResult[], dryRun: boolean): number {
  const failed = results.filter((r) => r.outcome === 'failed' || r.outcome === 'reverted' || r.outcome === 'skipped');
  const unreachable = results.filter((r) => r.outcome === 'unreachable');
  const summary = {
    total: results.length,
    ok: results.length - failed.length - unreachable.length,
    failed: failed.length,
    unreachable: unreachable.length,
  };
  if (out.jsonMode) {
    const legacy = results.map(({ outcome, ...r }) => ({ ...r, result: resultWords[outcome] }));
    out.line(JSON.stringify({ type: 'summary', dryRun, results: legacy, summary }));
  } else {
    out.line('');
    out.line(
      formatTable(
        ['HOST', 'APP', 'RELEASE', 'RESULT', 'UPLOADED', 'TIME', 'INFO'],
        results.map((r) => [
          r.host,
          r.app || '-',
          r.release ?? '-',
          paint(out.color, resultColors[resultWords[r.outcome]] ?? 'red', resultWords[r.outcome]),
          bytes(r.uploadedBytes),
          `${(r.durationMs / 1000).toFixed(1)}s`,
          r.error ?? (r.restarted && !dryRun ? 'restarted' : ''),
        ]),
      ),
    );
    if (dryRun) {
      for (const r of results.filter((x) => x.dryRun)) {
        const d = r.dryRun;
        if (!d) continue;
        out.line('');
        out.line(
          `${r.host} ${r.app}: release ${r.release}${r.release === r.previousRelease ? ' (already current)' : ` (now ${r.previousRelease ?? 'none'})`}, upload ${bytes(r.uploadedBytes)}` +
            `${d.programs.length ? `, would restart ${d.programs.join(' ')}` : ', nothing to restart'}${d.lockHeldBy ? `; LOCKED by ${d.lockHeldBy}` : ''}`,
        );
        if (d.confDiff) out.line(d.confDiff.trimEnd());
      }
    }
    out.line(
      `${summary.total} host${summary.total === 1 ? '' : 's'}: ${summary.ok} ok, ${summary.failed} failed, ${summary.unreachable} unreachable`,
    );
  }
  if (failed.length > 0) return ExitCode.hostFailed;
  return unreachable.length > 0 ? ExitCode.unreachable : ExitCode.ok;
}

export async function deployCommand(options: DeployCommandOptions): Promise<number> {
  const context = await loadDeployContext(options, options.target, options.apps);
  const rollouts = context.targets.map((t) => rolloutFor(options, t));
  const artifacts = await Promise.all(context.targets.map(artifactOf));
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
  const code = report(options.output, results, options.dryRun);
  return options.interruption?.requested() ? ExitCode.interrupted : code;
}

async function artifactOf(t: AppTarget): Promise<PreparedArtifact> {
  if (!t.app.spec.artifact) throw new UsageError(`${t.app.file}: app '${t.app.spec.name}' has no artifact to deploy`);
  return prepareArtifact(t.app.spec.artifact);
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
}

export async function rollbackCommand(options: RollbackCommandOptions): Promise<number> {
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
  return report(options.output, results, false);
}
