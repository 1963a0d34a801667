// The run journal's records (docs/command-line.md, "convoy runs"): what one multi-host run was asked to do and how
// each host ended, as pure values. Reading and writing the files is src/commands/run-journal.ts.
import type { HostStatus } from './run-on-hosts.ts';

/** `pending`: the host had no outcome when the record was last written (still running, or the run was killed). */
export type JournalHostState = HostStatus | 'pending';

export interface JournalHost {
  host: string;
  /** For deploy and rollback: one entry per host and app. */
  app?: string;
  state: JournalHostState;
  /** The last step the host was seen in (e.g. `upload`, `health`), so a failure or a kill says where. */
  phase?: string;
  /** The outcome's word (`reverted`, `unreachable`…) or error, as the command reported it. */
  detail?: string;
  /** Deploy and rollback: the release the host runs after this run. */
  release?: string;
}

export interface JournalRun {
  version: 1;
  /** The run's id: the lock token, `run` in each host's deploy record. */
  id: string;
  /** The command's name (`deploy`, `restart`, `exec`…). */
  command: string;
  /** The arguments as given (without `node convoy`): a retry runs them again. */
  argv: string[];
  target: string;
  /** `user@machine`, as a lock names its owner. */
  by: string;
  startedAt: string;
  endedAt?: string;
  exitCode?: number;
  /** The run this one retries. */
  retryOf?: string;
  /** Deploy: the time in the run's release ids, so that a retry names the same release. */
  releaseTime?: string;
  /** Deploy: each app's artifact digest (sha256), which a retry must find unchanged. */
  digests?: Record<string, string>;
  hosts: JournalHost[];
}

/** Exit codes of a run stopped by a signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
const signalCodes = new Set([129, 130, 143]);

/** Stopped by a signal, or never ended (killed outright: its record was not written at the end). */
export function wasInterrupted(run: JournalRun): boolean {
  return run.endedAt === undefined || (run.exitCode !== undefined && signalCodes.has(run.exitCode));
}

export type JournalCounts = Record<JournalHostState, number>;

/** Entries per state; `pending` in a finished run means never reached. */
export function countsOf(run: JournalRun): JournalCounts {
  const counts: JournalCounts = { ok: 0, failed: 0, unreachable: 0, skipped: 0, pending: 0 };
  for (const h of run.hosts) counts[h.state] += 1;
  return counts;
}

export interface Redo {
  /** Hosts to run again, in the run's order: every host with an entry that did not end ok. */
  hosts: string[];
  /** Hosts whose every entry ended ok: left alone. */
  done: string[];
}

/** What a retry runs again: hosts that failed, were unreachable or skipped, or were never reached. */
export function hostsToRedo(run: JournalRun): Redo {
  const names = [...new Set(run.hosts.map((h) => h.host))];
  const redo = new Set(run.hosts.filter((h) => h.state !== 'ok').map((h) => h.host));
  return { hosts: names.filter((n) => redo.has(n)), done: names.filter((n) => !redo.has(n)) };
}

/** A journal file's text as a run, or undefined when it is not one (a file of another version, a torn copy). */
export function parseJournal(text: string): JournalRun | undefined {
  try {
    const run = JSON.parse(text) as JournalRun;
    const ok = run.version === 1 && typeof run.id === 'string' && Array.isArray(run.argv) && Array.isArray(run.hosts);
    return ok ? run : undefined;
  } catch {
    return undefined;
  }
}

/** Journal files beyond the newest `keep` (by modification time), to delete. */
export function journalsToPrune(files: readonly { name: string; mtimeMs: number }[], keep: number): string[] {
  return [...files]
    .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : -1))
    .slice(keep)
    .map((f) => f.name);
}

/** Newest first, by start time. */
export function newestFirst(runs: readonly JournalRun[]): JournalRun[] {
  return [...runs].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

/**
 * The run a retry names: the newest without `id`, else the one whose id is or starts with it (a unique prefix).
 * A string says why none fits.
 */
export function pickRun(runs: readonly JournalRun[], id: string | undefined): JournalRun | string {
  const sorted = newestFirst(runs);
  if (id === undefined) return sorted[0] ?? 'no run recorded yet';
  const exact = sorted.find((r) => r.id === id);
  if (exact) return exact;
  const matching = sorted.filter((r) => r.id.startsWith(id));
  if (matching.length === 1) return matching[0]!;
  if (matching.length > 1) return `run '${id}' is ambiguous: ${matching.map((r) => r.id).join(', ')}`;
  const known = sorted.slice(0, 5).map((r) => r.id);
  return `no run '${id}' (recent runs: ${known.join(', ') || 'none'})`;
}
