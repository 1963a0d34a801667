// The app's deploy lock on a host: an atomic mkdir holding an owner file (who, where, when, what); never broken silently.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConvoyError } from '../errors.ts';
import { shellQuote } from '../shell/quote.ts';
import type { AppPaths } from './remote-state.ts';

export interface LockOwner {
  token: string;
  user: string;
  machine: string;
  pid: number;
  since: string;
  command: string;
  /** The machine's boot (Linux's boot_id): with `machine`, says whether `pid` can be checked from here. */
  bootId?: string | undefined;
  /** The process's start time (clock ticks since boot), so that a reused pid is not taken for the owner. */
  pidStart?: number | undefined;
}

/**
 * This run as a lock owner; `CONVOY_USER` names the user where the login is a CI runner's. `token`: the run's id when
 * it has one already (its journal's), so the hosts' records and the run journal name the run alike.
 */
export function newLockOwner(
  command: string,
  now = new Date(),
  env: NodeJS.ProcessEnv = {},
  token = randomBytes(8).toString('hex'),
): LockOwner {
  return {
    token,
    user: env.CONVOY_USER || os.userInfo().username,
    machine: os.hostname(),
    pid: process.pid,
    since: now.toISOString(),
    command,
    bootId: thisBoot(),
    pidStart: processStart(process.pid),
  };
}

/** Linux's id of this boot, or undefined elsewhere. */
function thisBoot(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** When the process `pid` started (clock ticks since boot), or undefined when there is no such process. */
export function processStart(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; starttime is the 20th field after it.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.split(' ') ?? [];
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A lock whose owner provably died: it ran on this machine in this boot, and its process is gone (or its pid now
 * belongs to another process). Anything else (another machine, an older lock without these fields) may be alive.
 */
export function ownerIsDead(
  owner: LockOwner,
  here: { machine: string; bootId: string | undefined },
  startOf: (pid: number) => number | undefined = processStart,
): boolean {
  if (owner.machine !== here.machine || !owner.bootId || owner.bootId !== here.bootId) return false;
  const start = startOf(owner.pid);
  return start === undefined || (owner.pidStart !== undefined && start !== owner.pidStart);
}

/** This machine, as ownerIsDead compares it. */
export function thisMachine(): { machine: string; bootId: string | undefined } {
  return { machine: os.hostname(), bootId: thisBoot() };
}

/** The owner line of a held lock as an owner, when it is one. */
export function parseOwner(line: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(line) as LockOwner;
    return typeof owner.token === 'string' && typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Another deploy holds the lock: says who, since when, and how to break it. */
export class LockHeldError extends ConvoyError {
  constructor(
    readonly host: string,
    app: string,
    ownerLine: string,
  ) {
    super(
      `${host}: ${app} is locked by ${describeOwner(ownerLine)}; wait for it to finish, or break the lock with --force-unlock if that deploy is dead`,
    );
  }
}

export function describeOwner(line: string): string {
  try {
    const o = JSON.parse(line) as LockOwner;
    return `${o.user}@${o.machine} (pid ${o.pid}) since ${o.since} running \`${o.command}\``;
  } catch {
    return `an unknown owner (${line || 'no owner file'})`;
  }
}

const lockMarker = 'convoy-lock:';

/** Prints a marker line saying LOCKED, or HELD and the holder's owner line. `force` removes a held lock first. */
export function lockCommand(paths: AppPaths, owner: LockOwner, force: boolean): string {
  const dir = shellQuote(paths.lockDir);
  const take = `printf '%s\\n' ${shellQuote(JSON.stringify(owner))} > ${dir}/owner && echo '${lockMarker} LOCKED'`;
  const held = `echo '${lockMarker} HELD'; head -n 1 ${dir}/owner 2>/dev/null || true`;
  return [
    `mkdir -p ${shellQuote(paths.root)}`,
    force ? `rm -rf ${dir}` : '',
    `if mkdir ${dir} 2>/dev/null; then ${take}; else ${held}; fi`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** The lock command's answer, found by its marker line (a login shell's rc files may print before it). */
export function parseLockAnswer(stdout: string): { locked: true } | { locked: false; owner: string } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(lockMarker));
  if (at >= 0 && lines[at] === `${lockMarker} LOCKED`) return { locked: true };
  return { locked: false, owner: at >= 0 ? (lines[at + 1] ?? '') : '' };
}

/** Removes the lock only if it is still ours (a --force-unlock by someone else must not be undone). */
export function unlockCommand(paths: AppPaths, owner: LockOwner): string {
  const dir = shellQuote(paths.lockDir);
  return `if grep -q ${shellQuote(`"token":"${owner.token}"`)} ${dir}/owner 2>/dev/null; then rm -rf ${dir}; fi`;
}
