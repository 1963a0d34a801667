// What the dashboard shows of the fleet (docs/ui.md): one view per host, built from supervisord's process list and
// the deploy records; pure functions, so what the page receives is tested without a host or a browser.
import { ConvoyError, ExitCode } from '../errors.ts';
import type { AppState } from '../deploy/app-state.ts';
import type { RecordEntry } from '../deploy/record.ts';
import { SupervisorTimeoutError } from '../supervisor/client.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';

/** One program as the page shows it; `now` is the host's clock at the poll (uptime = now - start, counted on). */
export interface ProgramView {
  group: string;
  name: string;
  /** Supervisor's state name: RUNNING, STOPPED, FATAL, … */
  state: string;
  pid: number | null;
  /** supervisord's start time of a RUNNING process (epoch s, the host's clock); null otherwise. */
  start: number | null;
  now: number;
  /** Why it is not RUNNING (spawnerr, or supervisorctl's description). */
  info: string;
}

/** Who did the last deploy or rollback of an app on a host, as its deploy record says. */
export interface LastDeploy {
  action: string;
  outcome: string;
  at: string;
  user: string;
  login: string;
  release?: string | undefined;
}

/** An app (Supervisor group) on one host as its deploy record says: the release `current` points to, the last deploy. */
export interface AppView {
  release?: string | undefined;
  lastDeploy?: LastDeploy | undefined;
}

/**
 * Whether the host answered: `unreachable` (no SSH), `supervisord-down` (SSH fine, its supervisord refuses or is
 * gone), `supervisord-not-answering` (it took the call and did not answer within the poll timeout: stopped, wedged).
 */
export type Reach = 'ok' | 'unreachable' | 'supervisord-down' | 'supervisord-not-answering' | 'connecting';

export interface HostView {
  host: string;
  reach: Reach;
  /** Why the host is not `ok`, as the error said. */
  error?: string | undefined;
  programs: ProgramView[];
  /** By group name, for the apps tasks/ describes. */
  apps: Record<string, AppView>;
}

export function programView(p: ProcessInfo): ProgramView {
  const running = p.statename === 'RUNNING';
  return {
    group: p.group,
    name: p.name,
    state: p.statename,
    pid: running ? p.pid : null,
    start: running ? p.start : null,
    now: p.now,
    info: running ? '' : p.spawnerr || p.description,
  };
}

/** The last deploy or rollback in a record (start/stop/restart entries are not deploys). */
export function lastDeployOf(record: readonly RecordEntry[]): LastDeploy | undefined {
  const entry = [...record].reverse().find((e) => e.action === 'deploy' || e.action === 'rollback');
  if (!entry) return undefined;
  const { action, outcome, at, release } = entry;
  return { action, outcome, at, user: entry.by.user, login: entry.by.login, release };
}

export function appView(state: AppState): AppView {
  return { release: state.current, lastDeploy: lastDeployOf(state.record) };
}

/** How a failed poll shows: the host unreachable (SSH), or its supervisord down (anything else). */
export function failedView(host: string, error: unknown, apps: Record<string, AppView>): HostView {
  const unreachable = error instanceof ConvoyError && error.exitCode === ExitCode.unreachable;
  const silent = error instanceof SupervisorTimeoutError;
  const reach = unreachable ? 'unreachable' : silent ? 'supervisord-not-answering' : 'supervisord-down';
  const message = error instanceof Error ? error.message : String(error);
  return { host, reach, error: message, programs: [], apps };
}

/**
 * What changes when a host's view does: everything but the clock (`now` moves every poll, and the page counts
 * uptime on by itself), so a fleet where nothing happens sends nothing.
 */
export function viewSignature(view: HostView): string {
  return JSON.stringify({ ...view, programs: view.programs.map((p) => ({ ...p, now: 0 })) });
}

/** Host names in the order the page lists them: natural order (web2 before web10). */
export function byHostName(a: { host: string }, b: { host: string }): number {
  return a.host.localeCompare(b.host, 'en', { numeric: true });
}
