// The deploy record on each host (docs/remote-layout.md, "The deploy record"): one JSON line per thing a run did to
// the app there, the last 100 kept. It is what makes a deploy converge after a run that was cut off (a release is
// "unchanged" only once it was verified and its processes have run since), what rollback goes back to, and what
// history and drift views will read. Pure functions; the host side is two shell lines.
import { createHash } from 'node:crypto';
import { shellQuote } from '../shell/quote.ts';
import type { AppPaths } from './remote-state.ts';

/** How many entries the host keeps (older ones are dropped when a new one is written). */
export const recordLength = 100;

export type RecordAction = 'deploy' | 'rollback' | 'start' | 'stop' | 'restart' | 'remove';

export type RecordOutcome =
  /** The release and conf passed the gate; `processes` are what passed it. */
  | 'verified'
  /** Nothing to do: the release and conf were verified before and their processes have run since. */
  | 'unchanged'
  /** The release failed (or its batch did) and the host went back to `previousRelease`. */
  | 'reverted'
  /** The release failed and the host could not go back (see `error`). */
  | 'failed'
  /** `convoy stop` stopped the app's programs (a later deploy starts them again). */
  | 'stopped'
  /** This host ran the deploy's run-once hook (`hook`) in the staged `release`, before any host switched. */
  | 'ran-once'
  /** `convoy remove` stopped the app's programs and removed its conf (a later deploy installs it afresh). */
  | 'removed';

/** A process as the gate saw it: the same pid and start time later means it has run since. */
export interface RecordedProcess {
  name: string;
  pid: number;
  /** supervisord's start time (seconds since the epoch, the host's clock). */
  start: number;
}

/** Who ran the run: the SSH login, the local user (CONVOY_USER wins, for CI), the machine and its process. */
export interface RecordActor {
  login: string;
  user: string;
  machine: string;
  pid: number;
}

export interface RecordEntry {
  v: 1;
  /** When, on the deploying machine's clock (ISO 8601). */
  at: string;
  /** The run's id: the same in every host's record for one run (its lock token). */
  run: string;
  action: RecordAction;
  outcome: RecordOutcome;
  app: string;
  /** The release this entry is about: the one verified, or the one that failed. */
  release?: string | undefined;
  previousRelease?: string | undefined;
  /** sha256 of the app's conf as written (hex, 16 digits). */
  confDigest?: string | undefined;
  processes?: RecordedProcess[] | undefined;
  by: RecordActor;
  /** The task repository's git commit, when it is one. */
  commit?: string | undefined;
  /** The task repository had uncommitted changes to tracked files: `commit` is not all that was deployed. */
  dirty?: boolean | undefined;
  /** The run-once hook this entry is about (`beforeSwitchOnce`): it ran here (`ran-once`), or failed here. */
  hook?: string | undefined;
  error?: string | undefined;
}

export function recordPath(paths: Pick<AppPaths, 'root'>): string {
  return `${paths.root}/.convoy/deploys.jsonl`;
}

export function confDigest(conf: string): string {
  return createHash('sha256').update(conf).digest('hex').slice(0, 16);
}

/**
 * Appends `entries`, keeping the last `recordLength`: written to a temporary file and renamed, so that a reader (or
 * a run cut off here) sees the old record or the new one, never half of one. Readable by all (history views).
 */
export function appendRecordCommand(paths: Pick<AppPaths, 'root'>, entries: readonly RecordEntry[]): string {
  const file = shellQuote(recordPath(paths));
  const tmp = shellQuote(`${recordPath(paths)}.convoy-tmp`);
  const lines = entries.map((e) => JSON.stringify(e)).join('\n');
  const keep = recordLength - entries.length;
  return [
    `mkdir -p ${shellQuote(`${paths.root}/.convoy`)}`,
    `{ tail -n ${Math.max(0, keep)} ${file} 2>/dev/null; printf '%s\\n' ${shellQuote(lines)}; } > ${tmp}`,
    `chmod 0644 ${tmp} && mv -f ${tmp} ${file}`,
  ].join(' && ');
}

/** The record's lines as read back; lines that are not entries (a hand edit, a torn copy) are skipped. */
export function parseRecord(text: string): RecordEntry[] {
  const entries: RecordEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as RecordEntry;
      if (value.v === 1 && typeof value.outcome === 'string') entries.push(value);
    } catch {
      // Not an entry.
    }
  }
  return entries;
}

/** The last entry that verified `release`, if any. */
function lastVerified(entries: readonly RecordEntry[], release: string): RecordEntry | undefined {
  return [...entries].reverse().find((e) => e.outcome === 'verified' && e.release === release);
}

/** What supervisord reports now for the app's processes. */
export interface RunningProcess {
  name: string;
  statename: string;
  pid: number;
  start: number;
}

/** The processes of `group` among supervisord's (`getAllProcessInfo`), as the record compares them. */
export function groupProcesses(
  all: readonly { name: string; group: string; statename: string; pid: number; start: number }[],
  group: string,
): RunningProcess[] {
  return all
    .filter((p) => p.group === group)
    .map((p) => ({ name: `${p.group}:${p.name}`, statename: p.statename, pid: p.pid, start: p.start }));
}

/**
 * Whether the host can be left as it is: `current` with `conf` was verified, and every process that passed the
 * gate is still RUNNING under the same pid since then (none restarted, none stopped). Otherwise the reason.
 */
export function verifiedAndRunning(
  entries: readonly RecordEntry[],
  current: string | undefined,
  conf: string,
  running: readonly RunningProcess[],
): { ok: true } | { ok: false; reason: string } {
  if (current === undefined) return { ok: false, reason: 'no release is current' };
  const verified = lastVerified(entries, current);
  if (!verified) return { ok: false, reason: `release ${current} was never verified on this host` };
  if (verified.confDigest !== confDigest(conf)) return { ok: false, reason: 'the conf was never verified' };
  for (const p of verified.processes ?? []) {
    const now = running.find((r) => r.name === p.name);
    if (!now || now.statename !== 'RUNNING') {
      return { ok: false, reason: `${p.name} is ${now?.statename ?? 'not in supervisord'}` };
    }
    if (now.pid !== p.pid || now.start !== p.start) return { ok: false, reason: `${p.name} restarted since` };
  }
  return { ok: true };
}

/** Releases that were live and verified on this host, most recently verified first. */
export function verifiedReleases(entries: readonly RecordEntry[]): string[] {
  const seen: string[] = [];
  for (const e of [...entries].reverse()) {
    if (e.outcome === 'verified' && e.release && !seen.includes(e.release)) seen.push(e.release);
  }
  return seen;
}

/** What rollback goes back to: the release verified before `current`, still on disk. */
export function rollbackTarget(
  entries: readonly RecordEntry[],
  current: string | undefined,
  onDisk: readonly string[],
): string | undefined {
  return verifiedReleases(entries).find((r) => r !== current && onDisk.includes(r));
}
