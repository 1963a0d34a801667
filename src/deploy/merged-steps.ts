// Steps of a deploy merged into one round trip each (docs/deploy.md, "Round trips"): on a fleet every channel costs
// packets, a shell and a wait, and the host is the bound. Pure script builders and readers, unit-tested as strings.
import { shellQuote } from '../shell/quote.ts';
import { loginDirCommand } from './dirs.ts';

const stepMarker = '---CONVOY-STEP---';

/** What the lock step needs besides the lock command and the state read. */
export interface LockStepParts {
  /** The app's root: made by the login when it can; else the step stops before the lock (`root-not-writable`). */
  root: string;
  /** The app's log directory: supervisord refuses a conf whose log directory is missing (CANT_REREAD). */
  logDir: string;
  /** Made with the lock so that an upload needs no round trip of its own to make them (and to read the free space). */
  uploadDirs: readonly string[];
  lock: string;
  state: string;
}

/**
 * The app's root, the lock, the log directory, the upload's directories and free space, then the state the lock now
 * protects, in one script. The state comes last: its reader takes everything after the conf's marker as the conf.
 * A root or log directory the login cannot make is said (a marker line), and made as root in a step of its own.
 */
export function lockStepScript(parts: LockStepParts): string {
  const dirs = parts.uploadDirs.map(shellQuote).join(' ');
  const first = shellQuote(parts.uploadDirs[0] ?? parts.root);
  return [
    `if ! { ${loginDirCommand(parts.root)}; }; then echo '${stepMarker} root-not-writable'; exit 0; fi`,
    parts.lock,
    `if ! { ${loginDirCommand(parts.logDir)}; }; then echo '${stepMarker} logdir-not-writable'; fi`,
    dirs ? `if mkdir -p ${dirs} 2>/dev/null; then echo "${stepMarker} free $(df -Pk ${first} | tail -n 1)"; fi` : '',
    parts.state,
  ]
    .filter(Boolean)
    .join('\n');
}

/** What the lock step said besides the lock and the state. */
export interface LockStepAnswer {
  rootWritable: boolean;
  logDirWritable: boolean;
  /** Available bytes where uploads go (undefined when the step could not make the directories or read df). */
  freeBytes: number | undefined;
}

export function parseLockStep(stdout: string): LockStepAnswer {
  const lines = stdout.split('\n').filter((l) => l.startsWith(`${stepMarker} `));
  const said = (word: string) => lines.some((l) => l === `${stepMarker} ${word}`);
  const free = lines.find((l) => l.startsWith(`${stepMarker} free `));
  const kb = free === undefined ? NaN : Number(free.trim().split(/\s+/)[5]);
  return {
    rootWritable: !said('root-not-writable'),
    logDirWritable: !said('logdir-not-writable'),
    freeBytes: Number.isFinite(kb) ? kb * 1024 : undefined,
  };
}

/**
 * Prune, the record entries still to write, and the unlock in one script, each run whatever the one before did: a
 * prune that fails (a file root made in a release) must not keep the lock. Its failure is said on a marker line.
 */
export function closeStepScript(parts: {
  prune?: string | undefined;
  record?: string | undefined;
  unlock: string;
}): string {
  // Its stderr kept in a variable (no file of ours on the host), its stdout dropped: the prune says nothing else.
  const prune = parts.prune
    ? `if ! err=$( (\n${parts.prune}\n) 2>&1 >/dev/null ); then echo "${stepMarker} prune-failed $(printf '%s' "$err" | head -c 300 | tr '\\n' ' ')"; fi`
    : '';
  return [prune, parts.record ?? '', parts.unlock].filter(Boolean).join('\n');
}

/** Why the prune part of the close step failed, when it did. */
export function pruneFailure(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${stepMarker} prune-failed`));
  return line === undefined ? undefined : line.slice(`${stepMarker} prune-failed`.length).trim() || 'failed';
}

/**
 * The uploaded file's sha256, and when it is the expected one, the file stored under its final name (0644: SFTP
 * creates it with the local mode less the server's umask). One round trip for what were two.
 */
export function verifyAndStoreScript(partial: string, cached: string, sha256: string): string {
  const p = shellQuote(partial);
  const store = `chmod 0644 ${p} && mv -f ${p} ${shellQuote(cached)} && echo '${stepMarker} stored'`;
  return `sum=$(sha256sum ${p}) || exit 1\nset -- $sum\necho "${stepMarker} sha256 $1"\nif [ "$1" = ${shellQuote(sha256)} ]; then ${store}; fi`;
}

/** The digest the host computed, and whether it stored the file. */
export function parseVerifyAndStore(stdout: string): { sha256: string | undefined; stored: boolean } {
  const sum = new RegExp(`^${stepMarker} sha256 ([0-9a-f]{64})$`, 'm').exec(stdout)?.[1];
  return { sha256: sum, stored: stdout.split('\n').includes(`${stepMarker} stored`) };
}
