// `convoy deploy <target> [app…]` and `convoy rollback <target> [app]`: per-host progress lines, a final table.
import { ExitCode, UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import type { ColorName } from '../output/colors.ts';
import { prepareArtifact } from '../deploy/artifact.ts';
import type { DeployEvent, HostDeployResult } from '../deploy/engine.ts';
import { deployApp, planApp, rollbackApp } from '../deploy/engine.ts';
import { newLockOwner } from '../deploy/lock.ts';
import type { Amount } from '../units/amount.ts';
import { failureBudget, planBatches } from '../orchestration/rolling.ts';
import type { Reporter } from '../output/events.ts';
import { chooseReporter } from '../output/reporters/choose.ts';
import type { AppTarget } from './deploy-context.ts';
import { appSpecFor, loadDeployContext, renderConf } from './deploy-context.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import type { Interruption } from './interruption.ts';
import { createPool, defaultConcurrency } from './fleet-context.ts';

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
function rolloutFor(options: DeployCommandOptions, app: AppTarget) {
  const own = app.app.spec.rolling;
  const batch = options.rolling ?? own?.batch;
  const pauseMs = options.pauseMs ?? own?.pauseMs ?? 0;
  return {
    maxFail: failureBudget(options.maxFail ?? own?.maxFail, app.hosts.length),
    rolling: batch ? { batch, canary: options.canary ?? own?.canary ?? 0, pauseMs } : undefined,
  };
}

function bytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}

const okResults = new Set(['deployed', 'config updated', 'unchanged', 'would change', 'would not change']);

/** The engine's callbacks, as events for this terminal's reporter. */
function reporting(reporter: Reporter) {
  return {
    onEvent: (e: DeployEvent) =>
      reporter.event({ type: 'step', host: e.host, step: `${e.app}: ${e.step}`, detail: e.detail }),
    onBatch: (index: number, total: number, hosts: readonly string[]) =>
      reporter.event({ type: 'batch', index, total, hosts: [...hosts] }),
    onHostDone: (r: HostDeployResult) =>
      reporter.event({
        type: 'host',
        host: r.host,
        durationMs: r.durationMs,
        detail: r.error ?? `${r.app} ${r.result}${r.release ? ` ${r.release}` : ''}`,
        status: okResults.has(r.result)
          ? 'ok'
          : r.result === 'unreachable'
            ? 'unreachable'
            : r.result === 'skipped'
              ? 'skipped'
              : 'failed',
      }),
  };
}

function report(out: Output, results: HostDeployResult[], dryRun: boolean): number {
  const failed = results.filter((r) => r.result === 'failed' || r.result === 'rolled back' || r.result === 'skipped');
  const unreachable = results.filter((r) => r.result === 'unreachable');
  const summary = {
    total: results.length,
    ok: results.length - failed.length - unreachable.length,
    failed: failed.length,
    unreachable: unreachable.length,
  };
  if (out.jsonMode) {
    out.line(JSON.stringify({ type: 'summary', dryRun, results, summary }));
  } else {
    out.line('');
    out.line(
      formatTable(
        ['HOST', 'APP', 'RELEASE', 'RESULT', 'UPLOADED', 'TIME', 'INFO'],
        results.map((r) => [
          r.host,
          r.app || '-',
          r.release ?? '-',
          paint(out.color, resultColors[r.result] ?? 'red', r.result),
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
  const artifacts = await Promise.all(
    context.targets.map(async (t) => {
      if (!t.app.spec.artifact)
        throw new UsageError(`${t.app.file}: app '${t.app.spec.name}' has no artifact to deploy`);
      return prepareArtifact(t.app.spec.artifact);
    }),
  );
  const pool = createPool(options);
  const owner = newLockOwner(options.commandLine);
  const results: HostDeployResult[] = [];
  try {
    for (const [i, t] of context.targets.entries()) {
      const rollout = rollouts[i] ?? { maxFail: 0, rolling: undefined };
      const reporter = chooseReporter(options.output);
      reporter.begin(
        rollout.rolling && !options.dryRun
          ? planBatches(
              t.hosts.map((h) => h.name),
              rollout.rolling.batch,
              rollout.rolling.canary,
            )
          : [t.hosts.map((h) => h.name)],
      );
      const common = {
        pool,
        hosts: t.hosts,
        owner,
        now: new Date(),
        forceUnlock: options.forceUnlock,
        concurrency: options.globals.concurrency ?? defaultConcurrency,
        appFor: (host: (typeof t.hosts)[number]) => appSpecFor(t.app.spec, host),
        renderConf: (host: (typeof t.hosts)[number], release: string) =>
          renderConf(t.app.spec, host, release, options.cwd),
        ...reporting(reporter),
        stopRequested: () => options.interruption?.requested() ?? false,
      };
      const artifact = artifacts[i];
      if (artifact && !options.interruption?.requested()) {
        results.push(
          ...(options.dryRun
            ? await planApp({ ...common, artifact, maxFail: 0 })
            : await deployApp({ ...common, artifact, ...rollout })),
        );
      }
      await reporter.end();
    }
  } finally {
    await pool.closeAll();
    await Promise.all(artifacts.map((a) => a.cleanup()));
  }
  const code = report(options.output, results, options.dryRun);
  return options.interruption?.requested() ? ExitCode.interrupted : code;
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
    throw new UsageError(
      `rollback: name the app to roll back (apps on '${options.target}': ${context.targets.map((t) => t.app.spec.name).join(', ')})`,
    );
  }
  const pool = createPool(options);
  const results: HostDeployResult[] = [];
  try {
    for (const t of context.targets) {
      const reporter = chooseReporter(options.output);
      reporter.begin([t.hosts.map((h) => h.name)]);
      results.push(
        ...(await rollbackApp({
          pool,
          hosts: t.hosts,
          owner: newLockOwner(options.commandLine),
          now: new Date(),
          forceUnlock: options.forceUnlock,
          to: options.to,
          concurrency: options.globals.concurrency ?? defaultConcurrency,
          appFor: (host) => appSpecFor(t.app.spec, host),
          renderConf: (host, release) => renderConf(t.app.spec, host, release, options.cwd),
          ...reporting(reporter),
        })),
      );
      await reporter.end();
    }
  } finally {
    await pool.closeAll();
  }
  return report(options.output, results, false);
}
