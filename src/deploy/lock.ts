// The app's deploy lock on a host: an atomic mkdir holding an owner file (who, where, when, what); never broken silently.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Another deploy holds the lock: says who, since when, how long this run waited for it, and how to break it. */
export class LockHeldError extends ConvoyError {
  constructor(
    readonly host: string,
    app: string,
    ownerLine: string,
    waited?: { ms: number; interrupted: boolean },
  ) {
    const after = !waited
      ? ''
      : waited.interrupted
        ? ` (stopped waiting for it after ${seconds(waited.ms)}: interrupted)`
        : ` (still held after waiting ${seconds(waited.ms)}, --lock-wait)`;
    const advice = waited ? 'wait longer (--lock-wait)' : 'wait for it to finish (or use --lock-wait)';
    super(
      `${host}: ${app} is locked by ${describeOwner(ownerLine)}${after}; ${advice}, or break the lock with --force-unlock if that deploy is dead`,
    );
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `--lock-wait`: how long a run waits for a lock held by a live owner, and what cuts the wait short. */
export interface LockWait {
  ms: number;
  /** Resolves on Ctrl-C: the wait ends and the lock counts as held. */
  stopped?: Promise<void> | undefined;
  /** Told once per host and app, when the wait starts: the holder's owner line. */
  onWait?: ((host: string, app: string, ownerLine: string) => void) | undefined;
}

/** One look at the lock: taken (or free), with what the look read; or held by a live owner. */
export type LockLook<T> = { held: false; value: T } | { held: true; owner: string };

/** The pause before the next look: 1 s, then half as long again each time up to 2 s, never past the deadline. */
export function lockPollDelay(looks: number, leftMs: number): number {
  return Math.max(0, Math.min(1000 * 1.5 ** (looks - 1), 2000, leftMs));
}

/** The clock of a wait (injected by unit tests). */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: WaitClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * Looks at the lock until it is not held by a live owner, or `wait` is over (no `wait`: one look, as before
 * --lock-wait). A held lock is said once (`onWait`) and looked at again after `lockPollDelay`. Ends with the last
 * look and, when it was still held, how long the run waited and whether Ctrl-C ended the wait.
 */
export async function lookUntilFree<T>(
  where: { host: string; app: string },
  look: () => Promise<LockLook<T>>,
  wait: LockWait | undefined,
  clock: WaitClock = realClock,
): Promise<{ value: T } | { owner: string; waited?: { ms: number; interrupted: boolean } }> {
  const started = clock.now();
  let interrupted = false;
  void wait?.stopped?.then(() => (interrupted = true));
  for (let looks = 1; ; looks++) {
    const seen = await look();
    if (!seen.held) return { value: seen.value };
    const waited = clock.now() - started;
    if (!wait || interrupted || waited >= wait.ms) {
      return { owner: seen.owner, ...(wait ? { waited: { ms: waited, interrupted } } : {}) };
    }
    if (looks === 1) wait.onWait?.(where.host, where.app, seen.owner);
    await Promise.race([clock.sleep(lockPollDelay(looks, wait.ms - waited)), wait.stopped]);
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

/** How a run takes a lock: break it first (`--force-unlock`), wait for a live owner, say a dead one was broken. */
export interface TakeLockOptions {
  force: boolean;
  wait?: LockWait | undefined;
  onBroken?: ((ownerLine: string) => void) | undefined;
  /** The answer says there was nothing to lock (remove: the app's root does not exist): taken as free. */
  nothingToLock?: ((said: string) => boolean) | undefined;
  clock?: WaitClock | undefined;
}

/**
 * Takes the app's lock through `run(force)`, which runs `lockCommand` (and whatever is read with it in the same
 * round trip) and returns its stdout. A lock left by a run of this machine whose process is gone is broken and taken;
 * a live owner is waited for under `--lock-wait`, else (or once the wait is over) refuses with LockHeldError.
 */
export async function takeLock(
  where: { host: string; app: string },
  run: (force: boolean) => Promise<string>,
  options: TakeLockOptions,
): Promise<string> {
  let force = options.force;
  const look = async (): Promise<LockLook<string>> => {
    let said = await run(force);
    force = false;
    if (options.nothingToLock?.(said)) return { held: false, value: said };
    let answer = parseLockAnswer(said);
    const holder = answer.locked ? undefined : parseOwner(answer.owner);
    if (!answer.locked && holder && ownerIsDead(holder, thisMachine())) {
      options.onBroken?.(answer.owner);
      said = await run(true);
      answer = parseLockAnswer(said);
    }
    return answer.locked ? { held: false, value: said } : { held: true, owner: answer.owner };
  };
  const result = await lookUntilFree(where, look, options.wait, options.clock);
  if ('value' in result) return result.value;
  throw new LockHeldError(where.host, where.app, result.owner, result.waited);
}
