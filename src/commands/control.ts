// `convoy start|stop|restart <target> [program…]`: drive programs on every host at once; per-host results, summary.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../output/output.ts';
import { chooseReporter } from '../output/reporters/choose.ts';
import type { Reporter } from '../output/events.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showControl } from '../output/views/control.ts';
import { failureBudget, planBatches, runRolling } from '../orchestration/rolling.ts';
import { appSpecFor } from '../deploy/app-spec.ts';
import type { Gate } from '../deploy/gate.ts';
import { defaultGate, passGate } from '../deploy/gate.ts';
import type { HostSession } from '../host/session.ts';
import { onSession } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Amount } from '../units/amount.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { ControlAction } from '../supervisor/control.ts';
import { controlProcesses } from '../supervisor/control.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { qualifiedName } from '../supervisor/wait.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts, loadProjectTasks } from './fleet-context.ts';

export interface ControlCommandOptions extends FleetContextOptions {
  action: ControlAction;
  target: string;
  programs: readonly string[];
  output: Output;
  /** `n` or `n%` hosts at a time; absent = every host at once. */
  rolling?: Amount | undefined;
  canary?: number | undefined;
  pauseMs?: number | undefined;
  maxFail?: Amount | undefined;
  interruption?: Interruption;
}

/** The apps tasks/ describes (when there is a tasks/): their gates judge the programs a start or restart touched. */
async function knownApps(options: ControlCommandOptions): Promise<Map<string, NormalisedApp>> {
  if (options.action === 'stop' || !existsSync(path.resolve(options.cwd, options.globals.tasks))) return new Map();
  const { apps } = await loadProjectTasks(options);
  return new Map(apps.map((a) => [a.spec.name, a.spec]));
}

/** The gate of each group started on a host: its app's (from tasks/), or the default for programs of no app. */
function gateOn(session: HostSession, client: SupervisorClient, apps: ReadonlyMap<string, NormalisedApp>) {
  return async (started: readonly ProcessInfo[]): Promise<Map<string, string>> => {
    const problems = new Map<string, string>();
    for (const group of new Set(started.map((p) => p.group))) {
      const app = apps.get(group);
      const gate: Gate = app ? appSpecFor(app, session.host).gate : defaultGate;
      const only = new Set(started.filter((p) => p.group === group).map(qualifiedName));
      const passed = await passGate(session, client, group, gate, { only });
      if (passed.ok) continue;
      const problem = passed.step === 'health check' ? `health check ${passed.problem}` : passed.problem;
      const failing = passed.failing.length > 0 ? passed.failing : [...only];
      for (const name of failing) problems.set(name, problem);
    }
    return problems;
  };
}

interface ControlRun {
  options: ControlCommandOptions;
  apps: ReadonlyMap<string, NormalisedApp>;
  reporter: Reporter;
}

async function controlOnHost(run: ControlRun, session: HostSession, host: HostConfig) {
  const { options } = run;
  const detail = options.programs.join(' ') || 'all';
  run.reporter.event({ type: 'step', host: host.name, step: options.action, detail });
  const client = session.supervisor();
  const results = await controlProcesses(client, options.action, options.programs, gateOn(session, client, run.apps));
  return { value: results, ok: results.every((r) => r.result !== 'failed' && r.result !== 'missing') };
}

export async function controlCommand(options: ControlCommandOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const batches = options.rolling ? planBatches(hosts, options.rolling, options.canary ?? 0) : [hosts];
  const pauseMs = options.pauseMs ?? 0;
  const maxFail = failureBudget(options.maxFail, hosts.length);
  const apps = await knownApps(options);
  const fleet = openFleet(options);
  const out = options.output;
  const reporter = chooseReporter(out);
  reporter.begin(batches.map((b) => b.map((h) => h.name)));
  try {
    const { outcomes, summary, stopReason } = await runRolling(
      batches,
      {
        pauseMs,
        maxFail,
        concurrency: options.globals.concurrency ?? defaultConcurrency,
        stopRequested: () => options.interruption?.requested() ?? false,
        stopped: options.interruption?.promise,
        onBatch: (index, hosts) => {
          if (options.rolling) reporter.event({ type: 'batch', index, total: batches.length, hosts: [...hosts] });
        },
        onOutcome: (o) =>
          reporter.event({
            type: 'host',
            host: o.host,
            status: o.status,
            durationMs: o.durationMs,
            detail: o.error?.message,
          }),
      },
      onSession(fleet, (session, host) => controlOnHost({ options, apps, reporter }, session, host)),
    );
    await reporter.end();
    const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
    showControl(options.output, { action: options.action, outcomes, summary, stopReason, maxFail, exitCode });
    return exitCode;
  } finally {
    await fleet.close();
  }
}
