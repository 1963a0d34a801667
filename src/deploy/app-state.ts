// What start/stop/restart read and write of an app they drive (docs/deploy.md, "Start, stop and restart"): its lock
// (a deploy in progress is not interrupted by hand), and its deploy record (a restart re-verifies the release, so
// that the next identical deploy is unchanged; a stop is written down, so that the next deploy starts it again).
import { shellQuote } from '../shell/quote.ts';
import type { LockOwner } from './lock.ts';
import type { RecordAction, RecordEntry, RecordedProcess } from './record.ts';
import { parseRecord, recordLength, recordPath } from './record.ts';

export interface AppState {
  /** The release `current` points to. */
  current: string | undefined;
  /** The lock's owner line, when a lock is held. */
  lockOwner: string | undefined;
  record: RecordEntry[];
}

const marker = '---CONVOY-APP---';
const recordMarker = '---CONVOY-RECORD---';

/** One read-only round trip: `current`, the lock, the record. */
export function appStateCommand(root: string): string {
  const q = shellQuote;
  return [
    `echo ${marker}`,
    `link=$(readlink ${q(`${root}/current`)} 2>/dev/null || true); echo "current=\${link##*/}"`,
    `if [ -e ${q(`${root}/.convoy-lock`)} ]; then echo "lock=$(head -n 1 ${q(`${root}/.convoy-lock/owner`)} 2>/dev/null || echo unknown)"; fi`,
    `echo ${recordMarker}; tail -n ${recordLength} ${q(recordPath({ root }))} 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

export function parseAppState(stdout: string): AppState {
  const start = stdout.indexOf(`${marker}\n`);
  const body = start < 0 ? stdout : stdout.slice(start + marker.length + 1);
  const at = body.indexOf(`${recordMarker}\n`);
  const head = at < 0 ? body : body.slice(0, at);
  const state: AppState = {
    current: undefined,
    lockOwner: undefined,
    record: at < 0 ? [] : parseRecord(body.slice(at + recordMarker.length + 1)),
  };
  for (const line of head.split('\n')) {
    if (line.startsWith('current=') && line.length > 'current='.length) state.current = line.slice('current='.length);
    if (line.startsWith('lock=')) state.lockOwner = line.slice('lock='.length);
  }
  return state;
}

/**
 * The record entry of a start, stop or restart: a stop, or the processes that passed the gate under the current
 * release (with the conf digest that release was last verified with: start and restart change no file).
 */
export function controlEntry(
  action: Extract<RecordAction, 'start' | 'stop' | 'restart'>,
  app: string,
  state: AppState,
  processes: readonly RecordedProcess[],
  by: { owner: LockOwner; login: string },
): RecordEntry {
  const last = [...state.record].reverse().find((e) => e.outcome === 'verified' && e.release === state.current);
  return {
    v: 1,
    at: new Date().toISOString(),
    run: by.owner.token,
    action,
    outcome: action === 'stop' ? 'stopped' : 'verified',
    app,
    release: state.current,
    confDigest: last?.confDigest,
    ...(action === 'stop' ? {} : { processes: [...processes] }),
    by: { login: by.login, user: by.owner.user, machine: by.owner.machine, pid: by.owner.pid },
  };
}
