// `convoy start|stop|restart <target> [program…]`: drive programs on every host at once; per-host results, summary.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import { chooseReporter } from '../output/reporters/choose.ts';
import type { Reporter } from '../output/events.ts';
import type { HostOutcome, RunSummary } from '../orchestration/run-on-hosts.ts';
import { exitCodeFor, formatSummary } from '../orchestration/run-on-hosts.ts';
import { failureBudget, planBatches, runRolling } from '../orchestration/rolling.ts';
import { appSpecFor } from '../deploy/app-spec.ts';
import type { Gate } from '../deploy/gate.ts';
import { defaultGate, passGate } from '../deploy/gate.ts';
import type { HostSession } from '../host/session.ts';
import { onSession } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Amount } from '../units/amount.ts';
import { loadTasks } from '../tasks/load.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { ControlAction, ProcessResult } from '../supervisor/control.ts';
import { controlProcesses } from '../supervisor/control.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { qualifiedName } from '../supervisor/wait.ts';
import type { Interruption } from './interruption.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts, tasksDirOf } from './fleet-context.ts';

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
  const { apps } = await loadTasks(tasksDirOf(options));
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
  return { value: results, ok: results.every((r) => r.result !== 'failed' && r.result !== 'no such program') };
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
    report(options, { outcomes, summary, stopReason, maxFail });
    return options.interruption?.requested() ? ExitCode.interrupted : exitCodeFor(summary);
  } finally {
    await fleet.close();
  }
}

interface ControlReport {
  outcomes: HostOutcome<ProcessResult[]>[];
  summary: RunSummary;
  stopReason: 'failures' | 'interrupted' | undefined;
  maxFail: number;
}

function report(options: ControlCommandOptions, run: ControlReport): void {
  const out = options.output;
  const { outcomes, summary, stopReason, maxFail } = run;
  if (stopReason === 'interrupted' && !out.jsonMode)
    out.line(paint(out.color, 'yellow', 'stopped: interrupted (Ctrl-C); later batches were not touched'));
  if (stopReason === 'failures' && !out.jsonMode) {
    const hosts = `${maxFail} host${maxFail === 1 ? '' : 's'}`;
    const said = `stopped: more than ${hosts} failed (--max-fail ${maxFail}); later batches were not touched`;
    out.line(paint(out.color, 'red', said));
  }
  if (out.jsonMode) {
    const hosts = outcomes.map((o) => ({
      host: o.host,
      status: o.status,
      durationMs: o.durationMs,
      results: o.value ?? [],
      ...(o.error ? { error: o.error.message } : {}),
    }));
    const stopped = stopReason ? { stopped: stopReason } : {};
    out.line(JSON.stringify({ type: 'summary', action: options.action, ...stopped, hosts, summary }));
    return;
  }
  const { rows, details } = tableRows(out, outcomes);
  out.line(formatTable(['HOST', 'PROGRAM', 'RESULT', 'STATE', 'PID', 'INFO'], rows));
  if (details.length > 0) out.line(['', ...details].join('\n'));
  out.line(formatSummary(summary));
}

function tableRows(out: Output, outcomes: readonly HostOutcome<ProcessResult[]>[]) {
  const rows: string[][] = [];
  const details: string[] = [];
  for (const o of [...outcomes].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }))) {
    if (!o.value) {
      const info = o.error?.message ?? (o.status === 'skipped' ? 'not touched (rollout stopped)' : '');
      rows.push([o.host, '-', paint(out.color, o.status === 'skipped' ? 'yellow' : 'red', o.status), '-', '-', info]);
      continue;
    }
    for (const r of o.value) {
      const pid = r.pid === null ? '-' : String(r.pid);
      rows.push([o.host, r.program, paint(out.color, resultColor(r), r.result), r.state, pid, r.error ?? '']);
      if (r.logTail?.length) details.push(`${o.host} ${r.program}, last log lines:`, ...r.logTail.map((l) => `  ${l}`));
    }
  }
  return { rows, details };
}

function resultColor(r: ProcessResult) {
  return r.result === 'failed' || r.result === 'no such program'
    ? 'red'
    : r.result.startsWith('already')
      ? 'gray'
      : 'green';
}
