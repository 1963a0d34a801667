// Who may use a `--persist` process: its ~/.convoy and socket must be the user's alone, and a peer on the socket
// must present the token that only the user can read.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../../errors.ts';

/**
 * Makes the socket's directory (0700) if missing and refuses a directory or socket that is not the user's alone:
 * whoever can write there can put their own socket in its place, and see or answer what runs send.
 */
export function preparePersistDir(socketPath: string, uid = process.getuid?.()): void {
  const dir = path.dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivate(dir, 'directory', uid);
  // Ours and not writable by others, but perhaps readable (0755): nobody else needs to list it.
  chmodSync(dir, 0o700);
  checkPrivate(socketPath, 'socket', uid);
}

function checkPrivate(file: string, kind: 'directory' | 'socket', uid: number | undefined): void {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (!stat) return;
  const problem = privacyProblem(file, stat, kind, uid);
  if (problem) throw new EnvironmentError(`--persist: ${file} ${problem}`);
}

function privacyProblem(file: string, stat: Stats, kind: 'directory' | 'socket', uid: number | undefined) {
  if (kind === 'directory' ? !stat.isDirectory() : !stat.isSocket())
    return `is not a ${kind} (a symbolic link?): remove it, or ask who made it.`;
  const threat =
    kind === 'directory' ? 'another user could put their own socket there' : "another user's process may listen there";
  if (uid !== undefined && stat.uid !== uid)
    return `is owned by uid ${stat.uid}, not by you (uid ${uid}): ${threat}. Remove it, or ask who made it.`;
  if ((stat.mode & 0o022) === 0) return undefined;
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
  const fix = kind === 'directory' ? `Expected mode 0700: chmod 700 ${file}` : 'Remove it.';
  return `is writable by its group or others (mode ${mode}): ${threat}. ${fix}`;
}

/** The file beside the socket that holds the process's token. */
export function tokenPath(socketPath: string): string {
  return `${socketPath}.token`;
}

/**
 * A new token, written 0600 in the 0700 directory (atomically, replacing a dead process's). Node has no SO_PEERCRED
 * (the peer's uid on a unix socket) without a native addon; a peer that presents this token has read a file only the
 * user (and root) can read, which is what checking its uid would prove.
 */
export function writeToken(socketPath: string): string {
  const token = randomBytes(32).toString('hex');
  const temporary = `${tokenPath(socketPath)}.${process.pid}`;
  writeFileSync(temporary, token, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, tokenPath(socketPath));
  return token;
}

/** The token a client presents, or undefined while the process has not written it. */
export function readToken(socketPath: string): string | undefined {
  try {
    return readFileSync(tokenPath(socketPath), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Compared in constant time: how long a wrong guess takes says nothing about the token. */
export function tokenMatches(token: string, presented: unknown): boolean {
  if (token === '' || typeof presented !== 'string') return false;
  const expected = Buffer.from(token);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
