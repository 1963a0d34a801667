// Waits until a group's processes are RUNNING, then checks they are still RUNNING with the same PIDs a moment later:
// RUNNING alone is not health (a process that dies right after startsecs flaps and never reaches FATAL).
import { setTimeout as sleep } from 'node:timers/promises';
import type { SupervisorClient } from './client.ts';
import type { ProcessInfo } from './process-info.ts';
import { displayName } from './select.ts';

export interface WaitOptions {
  timeoutMs: number;
  settleMs: number;
  pollMs?: number;
}

export type WaitResult =
  { ok: true; processes: ProcessInfo[] } | { ok: false; problem: string; processes: ProcessInfo[] };

const failedStates = new Set(['FATAL', 'EXITED', 'UNKNOWN']);

function ready(p: ProcessInfo): boolean {
  // STOPPED and never started: an autostart=false program, not ours to start here.
  return p.statename === 'RUNNING' || (p.statename === 'STOPPED' && p.start === 0);
}

function describe(p: ProcessInfo): string {
  return `${displayName(p)} ${p.statename}${p.spawnerr ? `: ${p.spawnerr}` : p.description ? ` (${p.description})` : ''}`;
}

export async function waitForGroup(client: SupervisorClient, group: string, options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  const poll = options.pollMs ?? 200;
  for (;;) {
    const processes = (await client.getAllProcessInfo()).filter((p) => p.group === group);
    if (processes.length === 0)
      return { ok: false, problem: `group ${group} has no processes in supervisord`, processes };
    const failed = processes.filter((p) => failedStates.has(p.statename));
    if (failed.length > 0) return { ok: false, problem: failed.map(describe).join('; '), processes };
    if (processes.every(ready)) {
      await sleep(options.settleMs);
      const again = (await client.getAllProcessInfo()).filter((p) => p.group === group);
      const moved = again.filter((p) => {
        const before = processes.find((b) => b.name === p.name);
        return !ready(p) || (p.statename === 'RUNNING' && before?.pid !== p.pid);
      });
      if (moved.length === 0) return { ok: true, processes: again };
      if (Date.now() > deadline)
        return {
          ok: false,
          problem: `not stable: ${moved.map(describe).join('; ')} (restarted within ${options.settleMs} ms)`,
          processes: again,
        };
      continue;
    }
    if (Date.now() > deadline) {
      return {
        ok: false,
        problem: `not RUNNING after ${Math.round(options.timeoutMs / 1000)}s: ${processes
          .filter((p) => !ready(p))
          .map(describe)
          .join('; ')}`,
        processes,
      };
    }
    await sleep(poll);
  }
}
