// Process identity through /proc: a recorded PID is ours only while its start time is the one we recorded.
import { readFileSync } from 'node:fs';

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export interface RecordedProcess {
  pid: number;
  startTime: string;
}

export function isSameProcess(p: RecordedProcess): boolean {
  return processStartTime(p.pid) === p.startTime;
}

/** The arguments `pid` was started with (/proc/PID/cmdline), or none when it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The PIDs of the direct children of `pid` (Linux /proc/PID/task/PID/children). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Proportional set size (kB) of the processes in the PID namespace whose init is `initPid`. */
export function namespaceMemoryKb(initPid: number): number {
  let total = 0;
  const pending = [initPid];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      continue;
    }
    pending.push(...childPids(pid));
  }
  return total;
}
