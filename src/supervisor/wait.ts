// Waits until processes are RUNNING, then checks they are still RUNNING with the same PIDs a moment later: RUNNING
// alone is not health (a process that dies right after startsecs flaps and never reaches FATAL).
import { setTimeout as sleep } from 'node:timers/promises';
import type { SupervisorClient } from './client.ts';
import type { ProcessInfo } from './process-info.ts';
import { displayName } from './select.ts';

export interface WaitOptions {
  timeoutMs: number;
  settleMs: number;
  pollMs?: number;
  /** Only these processes of the group (`group:name`); absent = every process of the group. */
  only?: ReadonlySet<string> | undefined;
  /** Told when every process is RUNNING, as the settle window starts (the gate's health check runs meanwhile). */
  onRunning?: (() => void) | undefined;
}

export type WaitResult =
  | { ok: true; processes: ProcessInfo[] }
  | { ok: false; problem: string; processes: ProcessInfo[]; failing: ProcessInfo[] };

const failedStates = new Set(['FATAL', 'EXITED', 'UNKNOWN']);

/** The `group:name` supervisord's per-process calls take (even for a program that is its own group). */
export const qualifiedName = (p: { group: string; name: string }) => `${p.group}:${p.name}`;

function ready(p: ProcessInfo): boolean {
  // STOPPED and never started: an autostart=false program, not ours to start here.
  return p.statename === 'RUNNING' || (p.statename === 'STOPPED' && p.start === 0);
}

function describe(p: ProcessInfo): string {
  return `${displayName(p)} ${p.statename}${p.spawnerr ? `: ${p.spawnerr}` : p.description ? ` (${p.description})` : ''}`;
}

async function processesOf(client: SupervisorClient, group: string, only: WaitOptions['only']): Promise<ProcessInfo[]> {
  return (await client.getAllProcessInfo()).filter((p) => p.group === group && (!only || only.has(qualifiedName(p))));
}

/** Processes that left RUNNING, or run under another PID, since `before`. */
function moved(before: readonly ProcessInfo[], after: readonly ProcessInfo[]): ProcessInfo[] {
  return after.filter((p) => {
    const earlier = before.find((b) => b.name === p.name);
    return !ready(p) || (p.statename === 'RUNNING' && earlier?.pid !== p.pid);
  });
}

/** Polls until every process is ready (then checks it stays so for `settleMs`), one fails, or the time is up. */
export async function waitForGroup(client: SupervisorClient, group: string, options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const processes = await processesOf(client, group, options.only);
    if (processes.length === 0) {
      return { ok: false, problem: `group ${group} has no processes in supervisord`, processes, failing: [] };
    }
    const failed = processes.filter((p) => failedStates.has(p.statename));
    if (failed.length > 0) return { ok: false, problem: failed.map(describe).join('; '), processes, failing: failed };
    if (processes.every(ready)) return settled(client, group, options, processes);
    if (Date.now() > deadline) {
      const late = processes.filter((p) => !ready(p));
      const problem = `not RUNNING after ${Math.round(options.timeoutMs / 1000)}s: ${late.map(describe).join('; ')}`;
      return { ok: false, problem, processes, failing: late };
    }
    await sleep(options.pollMs ?? 200);
  }
}

async function settled(
  client: SupervisorClient,
  group: string,
  options: WaitOptions,
  processes: ProcessInfo[],
): Promise<WaitResult> {
  options.onRunning?.();
  await sleep(options.settleMs);
  const again = await processesOf(client, group, options.only);
  const unstable = moved(processes, again);
  if (unstable.length === 0) return { ok: true, processes: again };
  const said = unstable.map((p) => {
    const pid = processes.find((b) => b.name === p.name)?.pid;
    return `${displayName(p)} RUNNING (pid ${pid}), then ${p.statename}${p.statename === 'RUNNING' ? ` (pid ${p.pid})` : ''}`;
  });
  return {
    ok: false,
    problem: `not stable: ${said.join('; ')} within ${options.settleMs} ms`,
    processes: again,
    failing: unstable,
  };
}
