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
import type { AppState } from '../deploy/app-state.ts';
import { appStateCommand, controlEntry, parseAppState } from '../deploy/app-state.ts';
import type { LockLook, LockOwner, LockWait } from '../deploy/lock.ts';
import { LockHeldError, lookUntilFree, newLockOwner, ownerIsDead, parseOwner, thisMachine } from '../deploy/lock.ts';
import { appendRecordCommand } from '../deploy/record.ts';
import { selectProcesses } from '../supervisor/select.ts';
import type { HostSession } from '../host/session.ts';
import { onSession } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Amount } from '../units/amount.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { ControlAction } from '../supervisor/control.ts';
import type { ProcessResult } from '../supervisor/control.ts';
import { controlProcesses } from '../supervisor/control.ts';
import { restartWayOf } from '../supervisor/restart-ways.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { qualifiedName } from '../supervisor/wait.ts';
import type { Fleet } from '../host/fleet.ts';
import { defaultStepTimeoutMs } from '../host/fleet.ts';
import type { RollingOptions } from '../orchestration/rolling.ts';
import { appsWithBatchHooks, restartBatchHook } from './control-hooks.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import { lockWaitOf } from './lock-wait.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget, loadProjectTasks } from './fleet-context.ts';
import { journalOutcomes } from './run-journal.ts';

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
  /** `--lock-wait`: wait this long for an app lock held by a live owner (absent: refuse at once). */
  lockWaitMs?: number | undefined;
}

/** The apps tasks/ describes (when there is a tasks/): their gates judge the programs a start or restart touched. */
export async function knownApps(options: FleetContextOptions): Promise<Map<string, NormalisedApp>> {
  if (!existsSync(path.resolve(options.cwd, options.globals.tasks))) return new Map();
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

export interface ControlRun {
  options: Pick<ControlCommandOptions, 'action' | 'programs'>;
  apps: ReadonlyMap<string, NormalisedApp>;
  reporter: Reporter;
  /** This run, as the deploy record names who did what. */
  owner: LockOwner;
  /** `--lock-wait` (absent: a held lock refuses at once). */
  lockWait?: LockWait | undefined;
}

/**
 * The known apps whose programs this run drives on the host, with their lock and record: a deploy in progress
 * holds the app (its lock) and is not interrupted by hand (under --lock-wait, its end is waited for); a lock left by
 * a dead run of this machine is ignored.
 */
async function guardedApps(run: ControlRun, session: HostSession, all: readonly ProcessInfo[]) {
  const guarded = new Map<NormalisedApp, AppState>();
  /** Whether a lock was waited for: the processes read before are then out of date. */
  let waited = false;
  if (run.apps.size === 0) return { guarded, waited };
  const { selected } = selectProcesses(all, run.options.programs);
  for (const group of new Set(selected.map((p) => p.group))) {
    const app = run.apps.get(group);
    if (!app) continue;
    let looks = 0;
    const look = async (): Promise<LockLook<AppState>> => {
      if (looks++ > 0) waited = true;
      const state = parseAppState(await session.run('read the lock', appStateCommand(app.root), { keptShell: true }));
      const holder = state.lockOwner === undefined ? undefined : parseOwner(state.lockOwner);
      const live = state.lockOwner !== undefined && !(holder && ownerIsDead(holder, thisMachine()));
      return live ? { held: true, owner: state.lockOwner! } : { held: false, value: state };
    };
    const seen = await lookUntilFree({ host: session.name, app: app.name }, look, run.lockWait);
    if (!('value' in seen)) throw new LockHeldError(session.name, app.name, seen.owner, seen.waited);
    guarded.set(app, seen.value);
  }
  return { guarded, waited };
}

/** Writes what the run did to each app's record: a stop, or the processes that passed the gate. */
async function recordControl(
  run: ControlRun,
  session: HostSession,
  all: readonly ProcessInfo[],
  guarded: ReadonlyMap<NormalisedApp, AppState>,
  results: readonly ProcessResult[],
): Promise<void> {
  if (guarded.size === 0) return;
  for (const [app, state] of guarded) {
    const failed = results.some((r) => r.result === 'failed' && r.program.split(':')[0] === app.name);
    if (failed) continue;
    const processes = all
      .filter((p) => p.group === app.name && p.statename === 'RUNNING')
      .map((p) => ({ name: qualifiedName(p), pid: p.pid, start: p.start }));
    const by = { owner: run.owner, login: session.host.user };
    const entry = controlEntry(run.options.action, app.name, state, processes, by);
    await session.run('record', appendRecordCommand({ root: app.root }, [entry]), { keptShell: true });
  }
}

/** One host's start/stop/restart: the lock checked, the programs driven and judged, the record written. */
export async function controlOnHost(run: ControlRun, session: HostSession, host: HostConfig) {
  const { options } = run;
  const detail = options.programs.join(' ') || 'all';
  run.reporter.event({ type: 'step', host: host.name, step: options.action, detail });
  const client = session.supervisor();
  // One read serves the lock check and the action; the action's last read serves the record.
  const first = await client.getAllProcessInfo();
  const { guarded, waited } = await guardedApps(run, session, first);
  const before = waited ? await client.getAllProcessInfo() : first;
  let after: readonly ProcessInfo[] = before;
  const wayOf = (group: string) => {
    const app = run.apps.get(group);
    return app ? restartWayOf(app) : undefined;
  };
  const gate = gateOn(session, client, run.apps);
  const results = await controlProcesses(client, options.action, options.programs, gate, wayOf, {
    before,
    onAfter: (now) => (after = now),
  });
  await recordControl(run, session, after, guarded, results);
  return { value: results, ok: results.every((r) => r.result !== 'failed' && r.result !== 'missing') };
}

/** A rolling restart of apps with batch hooks runs them around each batch (src/commands/control-hooks.ts). */
function restartHooks(run: {
  options: ControlCommandOptions;
  apps: ReadonlyMap<string, NormalisedApp>;
  reporter: Reporter;
  fleet: Fleet;
  hosts: readonly HostConfig[];
}): Pick<RollingOptions<HostConfig>, 'beforeBatch' | 'batchPassed'> {
  const { options, reporter } = run;
  const hooks = {
    apps: run.apps,
    programs: options.programs,
    fleet: run.fleet,
    cwd: options.cwd,
    timeoutMs: options.globals.stepTimeout ?? run.hosts[0]?.stepTimeoutMs ?? defaultStepTimeoutMs,
    onLine: (hook: string, line: string) => reporter.event({ type: 'note', text: `[${hook}] ${line}` }),
    onStep: (host: string, step: string, detail: string) => reporter.event({ type: 'step', host, step, detail }),
  };
  return {
    beforeBatch: (index, batch) => restartBatchHook(hooks, 'beforeBatch', index, batch),
    batchPassed: (index, passed) => restartBatchHook(hooks, 'afterBatch', index, passed),
  };
}

export async function controlCommand(options: ControlCommandOptions): Promise<number> {
  const { inventory, hosts } = loadTarget(options, options.target);
  const batches = options.rolling ? planBatches(hosts, options.rolling, options.canary ?? 0) : [hosts];
  const pauseMs = options.pauseMs ?? 0;
  const maxFail = failureBudget(options.maxFail, hosts.length);
  const apps = await knownApps(options);
  const commandLine = ['convoy', options.action, options.target, ...options.programs].join(' ');
  const owner = newLockOwner(commandLine, new Date(), options.env, options.journal?.id);
  options.journal?.begin({ command: options.action, target: options.target, hosts: hosts.map((h) => h.name) });
  const journaled = journalOutcomes(options.journal);
  const fleet = openFleet(options, inventory);
  const out = options.output;
  const reporter = chooseReporter(out);
  const lockWait = lockWaitOf(options.lockWaitMs, options.interruption, (host, app, text) =>
    reporter.event({ type: 'step', host, step: `${app}: lock`, detail: text }),
  );
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
        ...(options.action === 'restart' && appsWithBatchHooks(apps, options.programs).length > 0
          ? restartHooks({ options, apps, reporter, fleet, hosts })
          : {}),
        onBatch: (index, hosts) => {
          if (options.rolling) reporter.event({ type: 'batch', index, total: batches.length, hosts: [...hosts] });
          // The next batch's connections open while this one works: a handshake per batch is not added to its turn.
          // A host that cannot be reached is still reported when its batch comes (its session keeps the failure).
          for (const next of batches[index + 1] ?? []) void fleet.session(next).catch(() => undefined);
        },
        onOutcome: (o) => {
          journaled?.(o);
          reporter.event({
            type: 'host',
            host: o.host,
            status: o.status,
            durationMs: o.durationMs,
            detail: o.error?.message,
          });
        },
      },
      onSession(fleet, (session, host) => controlOnHost({ options, apps, reporter, owner, lockWait }, session, host)),
    );
    await reporter.end();
    const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
    showControl(options.output, { action: options.action, outcomes, summary, stopReason, maxFail, exitCode });
    return exitCode;
  } finally {
    await fleet.close();
  }
}
