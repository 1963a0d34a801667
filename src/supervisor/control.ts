// start / stop / restart of selected processes on one host, whole groups through supervisord's group calls so that
// its priority order holds; every process ends with a result, failures with the last lines of its log.
import type { SupervisorClient } from './client.ts';
import { SupervisorFault } from './faults.ts';
import type { ProcessInfo } from './process-info.ts';
import { displayName, selectProcesses } from './select.ts';
import { qualifiedName } from './wait.ts';
import { lastLogLines, tailLines } from './log-tail.ts';
import type { RestartWay } from './restart-ways.ts';
import { restartInWay } from './restart-ways.ts';

export type ControlAction = 'start' | 'stop' | 'restart';

/** What start/stop/restart did to one process (the words reports show are in src/output/words.ts). */
export type ProcessOutcome =
  | 'started'
  | 'stopped'
  | 'restarted'
  | 'already-running'
  | 'already-stopped'
  | 'failed'
  /** No process on the host matches the name. */
  | 'missing';

export interface ProcessResult {
  program: string;
  result: ProcessOutcome;
  state: string;
  pid: number | null;
  error?: string;
  /** Last lines of the program's logs when it failed to start (`stderr: …`), or why a log could not be read. */
  logTail?: string[];
}

const qualified = qualifiedName;

const activeStates = new Set(['RUNNING', 'STARTING', 'BACKOFF']);
const logTailLines = 8;

/** Groups whose every member is selected: driven with start/stopProcessGroup (priority order, one call). */
function wholeGroups(all: readonly ProcessInfo[], selected: readonly ProcessInfo[]): Set<string> {
  const groups = new Set(selected.map((p) => p.group));
  return new Set([...groups].filter((g) => all.filter((p) => p.group === g).every((p) => selected.includes(p))));
}

async function stopAll(
  client: SupervisorClient,
  all: readonly ProcessInfo[],
  targets: readonly ProcessInfo[],
  errors: Map<string, string>,
): Promise<void> {
  const groups = wholeGroups(all, targets);
  await Promise.all([
    ...[...groups].map(async (g) => {
      for (const r of await client.stopProcessGroup(g, true))
        if (r.status !== 80) errors.set(qualified(r), r.description);
    }),
    ...targets
      .filter((p) => !groups.has(p.group))
      .map(async (p) => {
        try {
          await client.stopProcess(qualified(p), true);
        } catch (error) {
          if (!(error instanceof SupervisorFault && error.faultName === 'NOT_RUNNING'))
            errors.set(qualified(p), messageOf(error));
        }
      }),
  ]);
}

async function startAll(
  client: SupervisorClient,
  all: readonly ProcessInfo[],
  targets: readonly ProcessInfo[],
  errors: Map<string, string>,
): Promise<void> {
  const groups = wholeGroups(all, targets);
  await Promise.all([
    ...[...groups].map(async (g) => {
      try {
        for (const r of await client.startProcessGroup(g, true))
          if (r.status !== 80) errors.set(qualified(r), r.description);
      } catch (error) {
        for (const p of targets.filter((t) => t.group === g)) errors.set(qualified(p), messageOf(error));
      }
    }),
    ...targets
      .filter((p) => !groups.has(p.group))
      .map(async (p) => {
        try {
          await client.startProcess(qualified(p), true);
        } catch (error) {
          if (!(error instanceof SupervisorFault && error.faultName === 'ALREADY_STARTED'))
            errors.set(qualified(p), messageOf(error));
        }
      }),
  ]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function logTail(client: SupervisorClient, name: string): Promise<string[]> {
  return tailLines(await lastLogLines(client, name, ['stderr', 'stdout'], logTailLines));
}

/**
 * Checks started processes further (the gate: stable PIDs, the app's health check); returns a problem per process
 * that failed it (`group:name`). Given by the caller, which knows the apps.
 */
export type StartGate = (started: readonly ProcessInfo[]) => Promise<Map<string, string>>;

/**
 * Applies `action` to the processes `patterns` select on this host; returns one result per process. After a start,
 * `gate` judges the started processes (RUNNING alone is not health).
 */
export async function controlProcesses(
  client: SupervisorClient,
  action: ControlAction,
  patterns: readonly string[],
  gate: StartGate = async () => new Map(),
  /** A group's restart way (its app's reload signal, one process at a time); none: stop, then start. */
  wayOf: (group: string) => RestartWay | undefined = () => undefined,
  /** The processes as the caller just read them (one call fewer), and who wants them as they are at the end. */
  seen: { before?: readonly ProcessInfo[]; onAfter?: (after: readonly ProcessInfo[]) => void } = {},
): Promise<ProcessResult[]> {
  const all = seen.before ?? (await client.getAllProcessInfo());
  const { selected, unmatched } = selectProcesses(all, patterns);
  const errors = new Map<string, string>();
  const wasActive = new Set(selected.filter((p) => activeStates.has(p.statename)).map((p) => qualified(p)));
  if (action === 'restart') await restartGroupsInTheirWay(client, selected, wayOf, errors);
  const handled = new Set(action === 'restart' ? selected.filter((p) => wayOf(p.group)).map(qualified) : []);
  if (action !== 'start')
    await stopAll(
      client,
      all,
      selected.filter((p) => wasActive.has(qualified(p)) && !handled.has(qualified(p))),
      errors,
    );
  if (action !== 'stop') {
    const toStart =
      action === 'restart'
        ? selected
        : selected.filter((p) => !wasActive.has(qualified(p)) || p.statename === 'BACKOFF');
    await startAll(
      client,
      all,
      toStart.filter((p) => !errors.has(qualified(p)) && !handled.has(qualified(p))),
      errors,
    );
    const judged = await gate(selected.filter((p) => !errors.has(qualified(p))));
    for (const [name, problem] of judged) errors.set(name, problem);
  }
  const afterList = await client.getAllProcessInfo();
  seen.onAfter?.(afterList);
  const after = new Map(afterList.map((p) => [qualified(p), p]));
  const results = await Promise.all(selected.map((p) => resultFor(client, action, p, after, errors, wasActive)));
  for (const name of unmatched) {
    const error = 'no such program (names are group:name, group:* or an app name)';
    results.push({ program: name, result: 'missing', state: '-', pid: null, error });
  }
  return results;
}

/** The selected processes of each group that has a restart way of its own, restarted that way, group by group. */
async function restartGroupsInTheirWay(
  client: SupervisorClient,
  selected: readonly ProcessInfo[],
  wayOf: (group: string) => RestartWay | undefined,
  errors: Map<string, string>,
): Promise<void> {
  for (const group of new Set(selected.map((p) => p.group))) {
    const way = wayOf(group);
    if (way)
      await restartInWay(
        client,
        selected.filter((p) => p.group === group),
        way,
        errors,
      );
  }
}

async function resultFor(
  client: SupervisorClient,
  action: ControlAction,
  p: ProcessInfo,
  after: ReadonlyMap<string, ProcessInfo>,
  errors: ReadonlyMap<string, string>,
  wasActive: ReadonlySet<string>,
): Promise<ProcessResult> {
  const key = qualified(p);
  const now = after.get(key) ?? p;
  const base = { program: displayName(p), state: now.statename, pid: now.statename === 'RUNNING' ? now.pid : null };
  const error = errors.get(key) ?? expectedStateError(action, now);
  if (error) {
    return { ...base, result: 'failed', error, ...(action !== 'stop' ? { logTail: await logTail(client, key) } : {}) };
  }
  if (action === 'start') return { ...base, result: wasActive.has(key) ? 'already-running' : 'started' };
  if (action === 'stop') return { ...base, result: wasActive.has(key) ? 'stopped' : 'already-stopped' };
  return { ...base, result: 'restarted' };
}

function expectedStateError(action: ControlAction, p: ProcessInfo): string | undefined {
  if (action === 'stop')
    return activeStates.has(p.statename) || p.statename === 'STOPPING' ? `still ${p.statename}` : undefined;
  return p.statename === 'RUNNING'
    ? undefined
    : `${p.statename}${p.spawnerr ? `: ${p.spawnerr}` : p.description ? `: ${p.description}` : ''}`;
}
