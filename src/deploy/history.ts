// `convoy history` (docs/command-line.md): the hosts' deploy records merged into one row per run and app, newest
// first, and the hosts whose `current` disagrees with the others'. Pure: the host side is one read-only script per
// host (every app's `current`, lock and record in one round trip), the rest works on its output.
import { shellQuote } from '../shell/quote.ts';
import type { AppState } from './app-state.ts';
import { appStateCommand, parseAppState } from './app-state.ts';
import type { RecordAction, RecordEntry, RecordOutcome } from './record.ts';

/** An app as history reads it: its name and its root (from the task files). */
export interface HistoryApp {
  name: string;
  root: string;
}

const appMarker = '---CONVOY-HISTORY-APP---';

/** One round trip for every app of a host: each app's state (`current`, lock, record), in a subshell of its own. */
export function historyReadCommand(apps: readonly HistoryApp[]): string {
  return apps.map((app) => `echo ${appMarker} ${shellQuote(app.name)}\n(\n${appStateCommand(app.root)}\n)`).join('\n');
}

/** The read's output, per app (an app whose root does not exist has no current and an empty record). */
export function parseHistoryRead(stdout: string): Map<string, AppState> {
  const states = new Map<string, AppState>();
  const parts = stdout.split(`${appMarker} `).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const app = newline < 0 ? part : part.slice(0, newline);
    states.set(app, parseAppState(newline < 0 ? '' : part.slice(newline + 1)));
  }
  return states;
}

/** One host's read: each app's state. */
export interface HostHistory {
  host: string;
  apps: ReadonlyMap<string, AppState>;
}

/** One run of one app, across the hosts that recorded it. */
export interface HistoryRow {
  app: string;
  run: string;
  action: RecordAction;
  /** The earliest entry of the run (the deploying machine's clock). */
  at: string;
  /** The releases the hosts ended the run with (one, unless hosts differed). */
  releases: string[];
  /** The local user (`CONVOY_USER` wins), the SSH logins used, the machine. */
  user: string;
  logins: string[];
  machine: string;
  commit?: string | undefined;
  /** The task repository had uncommitted changes to tracked files. */
  dirty?: boolean | undefined;
  /** Each host's last outcome in the run, hosts by outcome (in first-seen order). */
  outcomes: Partial<Record<RecordOutcome, string[]>>;
  hosts: string[];
}

export interface MergeOptions {
  /** Only deploys and rollbacks (no start, stop, restart or remove). */
  deploysOnly?: boolean;
  /** Rows kept, newest first. */
  limit: number;
}

/**
 * One row per run and app, newest first. A host's outcome is its last entry of the run: a host that ran the
 * run-once hook and then verified is `verified`; `ran-once` shows only where nothing followed.
 */
export function mergeHistory(hosts: readonly HostHistory[], options: MergeOptions): HistoryRow[] {
  const byRun = new Map<string, { app: string; run: string; perHost: Map<string, RecordEntry[]> }>();
  for (const { host, apps } of hosts) {
    for (const [app, state] of apps) {
      for (const entry of state.record) {
        if (entry.app !== app) continue;
        if (options.deploysOnly && entry.action !== 'deploy' && entry.action !== 'rollback') continue;
        const key = `${entry.run}\n${app}`;
        const run = byRun.get(key) ?? { app, run: entry.run, perHost: new Map<string, RecordEntry[]>() };
        byRun.set(key, run);
        const list = run.perHost.get(host) ?? [];
        run.perHost.set(host, [...list, entry]);
      }
    }
  }
  const rows = [...byRun.values()].map((r) => rowOf(r.app, r.run, r.perHost));
  return rows.sort((a, b) => b.at.localeCompare(a.at)).slice(0, options.limit);
}

function rowOf(app: string, run: string, perHost: ReadonlyMap<string, RecordEntry[]>): HistoryRow {
  const all = [...perHost.values()].flat();
  const first = all.reduce((a, b) => (b.at < a.at ? b : a));
  const outcomes: Partial<Record<RecordOutcome, string[]>> = {};
  const releases: string[] = [];
  for (const [host, entries] of perHost) {
    const last = [...entries].reverse().find((e) => e.outcome !== 'ran-once') ?? entries[entries.length - 1]!;
    (outcomes[last.outcome] ??= []).push(host);
    if (last.release && !releases.includes(last.release)) releases.push(last.release);
  }
  const commit = all.find((e) => e.commit)?.commit;
  return {
    app,
    run,
    action: first.action,
    at: first.at,
    releases,
    user: first.by.user,
    logins: unique(all.map((e) => e.by.login)),
    machine: first.by.machine,
    ...(commit ? { commit } : {}),
    ...(all.some((e) => e.dirty) ? { dirty: true } : {}),
    outcomes,
    hosts: [...perHost.keys()],
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** `verified on 3, reverted on 1`. */
export function outcomeSummary(outcomes: HistoryRow['outcomes']): string {
  return Object.entries(outcomes)
    .map(([outcome, hosts]) => `${outcome} on ${hosts.length}`)
    .join(', ');
}

/** Who ran it: the local user, and the SSH login(s) when they differ from it. */
export function whoText(row: Pick<HistoryRow, 'user' | 'logins'>): string {
  const others = row.logins.filter((l) => l !== row.user);
  return others.length > 0 ? `${row.user} (as ${others.join(', ')})` : row.user;
}

/** Where an app's `current` stands across the hosts that have it, and the hosts that disagree with the most. */
export interface CurrentAgreement {
  app: string;
  /** What most hosts point `current` at (undefined: none has a current). */
  release: string | undefined;
  /** Hosts that agree. */
  hosts: string[];
  /** Hosts whose `current` is another release, or none while others have one. */
  differing: { host: string; release: string | undefined }[];
}

/**
 * Per app, the release most hosts run and the hosts that run something else. A tie goes to the newest release
 * (release ids start with their time). Hosts where the app never was (no current, no record) are left out, and
 * so are apps no host has.
 */
export function currentAgreement(hosts: readonly HostHistory[]): CurrentAgreement[] {
  const apps = unique(hosts.flatMap((h) => [...h.apps.keys()]));
  const agreements = apps.map((app) => {
    const seen = hosts
      .map((h) => ({ host: h.host, state: h.apps.get(app) }))
      .filter((x) => x.state && (x.state.current !== undefined || x.state.record.length > 0))
      .map((x) => ({ host: x.host, release: x.state!.current }));
    const counts = new Map<string, number>();
    for (const s of seen) if (s.release) counts.set(s.release, (counts.get(s.release) ?? 0) + 1);
    const release = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0]))[0]?.[0];
    return {
      app,
      release,
      hosts: seen.filter((s) => s.release === release).map((s) => s.host),
      differing: seen.filter((s) => s.release !== release),
    };
  });
  return agreements.filter((a) => a.hosts.length + a.differing.length > 0);
}
