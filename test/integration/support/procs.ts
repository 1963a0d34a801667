// Reads the machine's process table from /proc, to check what the sandbox started and what it left behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  cmdline: string;
  pidNamespace: string;
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push({
        pid: Number(entry),
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
