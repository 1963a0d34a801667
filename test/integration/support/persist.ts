// The `--persist` process as integration tests see it: its PID (from its pid file), and the SSH connections it holds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { persistSocketPath } from '../../../src/host/fleet.ts';

/** The persist process of a HOME, from its pid file; undefined when there is none or it has ended. */
export function persistPid(home: string): number | undefined {
  const file = `${persistSocketPath(home)}.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Local ports of the SSH connections a process holds. */
export function sshPortsOf(pid: number): string[] {
  const out = spawnSync('ss', ['-tnpH', 'state', 'established', '( dport = :22 )'], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[2] ?? '')
    .sort();
}
