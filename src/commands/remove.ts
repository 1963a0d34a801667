// `convoy remove <target> <app>`: take an app off the hosts of a target (docs/command-line.md). Every host is read
// first: a conf Convoy did not write, or a root `--purge` may not remove, stops the run there (exit 2, nothing
// touched). Then each host, under the app's lock: stop the group, remove the conf, drop the group, record, purge.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { newLockOwner } from '../deploy/lock.ts';
import type { LockOwner } from '../deploy/lock.ts';
import type { RemovalPlan } from '../deploy/remove.ts';
import { HostRemoval, nothingToRemove, removalSteps } from '../deploy/remove.ts';
import { RemoteStepError } from '../host/errors.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { Fleet } from '../host/fleet.ts';
import type { HostSession } from '../host/session.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { HostOutcome } from '../orchestration/run-on-hosts.ts';
import { exitCodeFor, summarize } from '../orchestration/run-on-hosts.ts';
import { nameProblem } from '../tasks/names.ts';
import type { RemoveResult } from '../output/views/remove.ts';
import { showRemove } from '../output/views/remove.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import { lockWaitOf } from './lock-wait.ts';
import { defaultConcurrency, loadProjectTasks, openFleet, loadTarget } from './fleet-context.ts';
import { journalOutcomes } from './run-journal.ts';

export interface RemoveCommandOptions extends FleetContextOptions {
  target: string;
  app: string;
  /** Also remove the app's root (releases, shared/, the record). */
  purge: boolean;
  dryRun: boolean;
  forceUnlock: boolean;
  /** `--lock-wait`: wait this long for a lock held by a live owner (absent: refuse at once). */
  lockWaitMs?: number | undefined;
  /** Ctrl-C ends a --lock-wait wait (the host then fails); removals already started run to their end. */
  interruption?: Interruption | undefined;
  /** The command line, recorded in the lock. */
  commandLine: string;
  output: Output;
}

interface RemoveRun {
  options: RemoveCommandOptions;
  fleet: Fleet;
  /** The root the task files give the app, undefined when none describes it any more. */
  taskRoot: string | undefined;
  owner: LockOwner;
}

/** The app's root per the task files (when there are task files and one describes the app). */
async function taskRootOf(options: RemoveCommandOptions): Promise<string | undefined> {
  if (!existsSync(path.resolve(options.cwd, options.globals.tasks))) return undefined;
  const { apps } = await loadProjectTasks(options);
  return apps.find((a) => a.spec.name === options.app)?.spec.root;
}

function removal(
  run: RemoveRun,
  session: HostSession,
  supervisor: Awaited<ReturnType<HostSession['laidOutSupervisor']>>,
) {
  const { app, purge, forceUnlock, lockWaitMs, interruption, output } = run.options;
  const lockWait = lockWaitOf(lockWaitMs, interruption, (host, _app, text) => output.warn(`${host}: ${app}: ${text}`));
  return new HostRemoval({
    session,
    supervisor,
    app,
    taskRoot: run.taskRoot,
    purge,
    owner: run.owner,
    forceUnlock,
    lockWait,
  });
}

/** Why this host stops the whole run before anything is touched. */
function problemsOf(host: string, plan: RemovalPlan, app: string): string[] {
  const problems: string[] = [];
  if (plan.confOwner === 'foreign')
    problems.push(
      `${host}: ${plan.confPath} was not written by Convoy (no marker line for app '${app}', not in the deploy ` +
        'record): remove does not take confs it does not own (it has no --adopt); remove that file by hand',
    );
  if (plan.purgeRefused !== undefined) problems.push(`${host}: --purge: ${plan.purgeRefused}`);
  return problems;
}

/** The first pass: what each host has (also the whole of a dry run). */
async function readHosts(run: RemoveRun, hosts: readonly HostConfig[]) {
  const concurrency = run.options.globals.concurrency ?? defaultConcurrency;
  // A host read fine is not done yet (the second pass removes); one that could not be read ends here.
  const onOutcome = run.options.dryRun ? undefined : journalOutcomes(run.options.journal, (o) => o.status !== 'ok');
  return runOnSessions(run.fleet, hosts, { concurrency, onOutcome }, async (session) => {
    const plan = await removal(run, session, await session.laidOutSupervisor()).read(false);
    return { value: plan, ok: true };
  });
}

/** One host, under the app's lock: read again (the first pass may be stale), then remove. */
async function removeOnHost(run: RemoveRun, session: HostSession): Promise<RemoveResult> {
  const { app, purge } = run.options;
  const host = removal(run, session, await session.laidOutSupervisor());
  try {
    const plan = await host.read(true);
    const problems = problemsOf(session.name, plan, app);
    if (problems.length > 0) throw new RemoteStepError(session.name, 'remove', undefined, problems.join('; '));
    if (nothingToRemove(plan, purge)) return { app, result: 'absent', steps: [] };
    return { app, result: 'removed', steps: await host.apply(plan) };
  } finally {
    await host.release();
  }
}

function dryRunResult(o: HostOutcome<RemovalPlan>, options: RemoveCommandOptions): HostOutcome<RemoveResult> {
  const { value, ...rest } = o;
  if (!value) return rest;
  const absent = nothingToRemove(value, options.purge);
  const steps = removalSteps(value, options.app, options.purge);
  return { ...rest, value: { app: options.app, result: absent ? 'absent' : 'would remove', steps } };
}

export async function removeCommand(options: RemoveCommandOptions): Promise<number> {
  const started = performance.now();
  const bad = nameProblem('app', options.app);
  if (bad) throw new UsageError(`remove: ${bad}`);
  const { inventory, hosts } = loadTarget(options, options.target);
  const taskRoot = await taskRootOf(options);
  const owner = newLockOwner(options.commandLine, new Date(), options.env, options.journal?.id);
  // A dry run changes nothing: there is nothing to retry, so it is not journaled.
  if (!options.dryRun)
    options.journal?.begin({ command: 'remove', target: options.target, hosts: hosts.map((h) => h.name) });
  const fleet = openFleet(options, inventory);
  const run: RemoveRun = { options, fleet, taskRoot, owner };
  let outcomes: HostOutcome<RemoveResult>[];
  try {
    const read = await readHosts(run, hosts);
    const problems = read.outcomes.flatMap((o) => (o.value ? problemsOf(o.host, o.value, options.app) : []));
    if (problems.length > 0) {
      const said = `remove: nothing was touched: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
      throw new ValidationError(said, problems);
    }
    outcomes = read.outcomes.map((o) => dryRunResult(o, options));
    if (!options.dryRun) outcomes = await removeEverywhere(run, hosts, outcomes);
  } finally {
    await fleet.close();
  }
  const summary = summarize(outcomes, performance.now() - started);
  const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
  showRemove(options.output, { outcomes, summary, exitCode, dryRun: options.dryRun });
  return exitCode;
}

/** The second pass, on the hosts the first one read; the others keep their outcome (unreachable, failed). */
async function removeEverywhere(
  run: RemoveRun,
  hosts: readonly HostConfig[],
  read: readonly HostOutcome<RemoveResult>[],
): Promise<HostOutcome<RemoveResult>[]> {
  const readOk = new Set(read.filter((o) => o.status === 'ok').map((o) => o.host));
  const concurrency = run.options.globals.concurrency ?? defaultConcurrency;
  const { outcomes } = await runOnSessions(
    run.fleet,
    hosts.filter((h) => readOk.has(h.name)),
    { concurrency, onOutcome: journalOutcomes(run.options.journal) },
    async (session) => ({ value: await removeOnHost(run, session), ok: true }),
  );
  const byName = new Map(outcomes.map((o) => [o.host, o]));
  return read.map((o) => byName.get(o.host) ?? o);
}
