// Reads the machine's process table from /proc, to check what the sandbox started and what it left behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** The parent's PID (1 for the machine's daemons). */
  ppid: number;
  cmdline: string;
  pidNamespace: string;
  /** When it started, in clock ticks since boot (/proc/PID/stat field 22). */
  startTicks: number;
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses): index 0 is field 3. */
function statFields(pid: number | string): string[] {
  return (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1) ?? '').split(' ');
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = statFields(entry);
      out.push({
        pid: Number(entry),
        ppid: Number(stat[1]),
        startTicks: Number(stat[19]),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim(),
        pidNamespace: readlinkSync(`/proc/${entry}/ns/pid`),
      });
    } catch {
      // The process ended while we read it.
    }
  }
  return out;
}

export function pidNamespaceOf(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}

/**
 * When the test runner started (clock ticks since boot): the parent of a test file under `node --test`. A process
 * started before it is the machine's; one started after may be another test file's, running beside this one.
 */
export function testRunStartTicks(): number {
  return Number(statFields(process.ppid)[19]);
}
