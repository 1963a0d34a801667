// The app's deploy lock on a host: an atomic mkdir holding an owner file (who, where, when, what); never broken silently.
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
}

/** This run as a lock owner; `CONVOY_USER` names the user where the login is a CI runner's. */
export function newLockOwner(command: string, now = new Date(), env: NodeJS.ProcessEnv = {}): LockOwner {
  return {
    token: randomBytes(8).toString('hex'),
    user: env.CONVOY_USER || os.userInfo().username,
    machine: os.hostname(),
    pid: process.pid,
    since: now.toISOString(),
    command,
  };
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

/** Prints LOCKED, or HELD and the holder's owner line. `force` removes a held lock first. */
export function lockCommand(paths: AppPaths, owner: LockOwner, force: boolean): string {
  const dir = shellQuote(paths.lockDir);
  return [
    `mkdir -p ${shellQuote(paths.root)}`,
    force ? `rm -rf ${dir}` : '',
    `if mkdir ${dir} 2>/dev/null; then printf '%s\\n' ${shellQuote(JSON.stringify(owner))} > ${dir}/owner && echo LOCKED; else echo HELD; head -n 1 ${dir}/owner 2>/dev/null || true; fi`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Removes the lock only if it is still ours (a --force-unlock by someone else must not be undone). */
export function unlockCommand(paths: AppPaths, owner: LockOwner): string {
  const dir = shellQuote(paths.lockDir);
  return `if grep -q ${shellQuote(`"token":"${owner.token}"`)} ${dir}/owner 2>/dev/null; then rm -rf ${dir}; fi`;
}
