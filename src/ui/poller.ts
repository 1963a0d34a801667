// Keeps every host's view current: one getAllProcessInfo per host per interval over the host's kept-open session
// (as `status --watch` does), the deploy records read only at the start and after an action, and a view handed on
// only when it changed. A host that fails is a view too (unreachable, supervisord down), tried again later.
import type { HostConfig } from '../inventory/types.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import type { AppView, HostView } from './model.ts';
import { failedView, programView, viewSignature } from './model.ts';

/** What the poller needs of a host session (HostSession is one). */
export interface PolledSession {
  readonly lost: boolean;
  relog(): Promise<void>;
  /** The host's supervisord; `bounded`: the same, each call abandoned (its channel closed) past `ms`. */
  supervisor(): { bounded(ms: number, why: string): { getAllProcessInfo(): Promise<ProcessInfo[]> } };
}

/** Where sessions come from (the Fleet): `forget` drops a host's failed session so that the next poll connects anew. */
export interface SessionSource<S extends PolledSession> {
  session(host: HostConfig): Promise<S>;
  forget(host: HostConfig): void;
}

export interface PollerOptions<S extends PolledSession> {
  hosts: readonly HostConfig[];
  source: SessionSource<S>;
  intervalMs: number;
  /**
   * How long one poll's call may wait for supervisord: a supervisord that accepts the connection but never answers
   * (stopped, wedged) is shown as not answering after this, instead of holding its host's row for the step timeout.
   */
  pollTimeoutMs: number;
  /** The apps of these groups on this host (release, last deploy); read at the first poll and after actions. */
  readApps(session: S, host: HostConfig, groups: readonly string[]): Promise<Record<string, AppView>>;
  /** A host's view changed (or is new). */
  onView(view: HostView): void;
}

interface HostPoll {
  host: HostConfig;
  view: HostView;
  signature: string;
  appsStale: boolean;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A host that failed is tried again after this long at least: its connect timeout is spent on every try. */
const retryFloorMs = 5000;

/** The poll timeout for an interval: the interval, but at least 5 s (a busy host) and at most 30 s. */
export function pollTimeoutFor(intervalMs: number): number {
  return Math.min(Math.max(intervalMs, 5000), 30_000);
}

export class FleetPoller<S extends PolledSession> {
  private readonly polls = new Map<string, HostPoll>();
  private stopped = false;

  constructor(private readonly options: PollerOptions<S>) {
    for (const host of options.hosts) {
      const view: HostView = { host: host.name, reach: 'connecting', programs: [], apps: {} };
      this.polls.set(host.name, { host, view, signature: '', appsStale: true, running: undefined, timer: undefined });
    }
  }

  /** Every host's view as last seen. */
  views(): HostView[] {
    return [...this.polls.values()].map((p) => p.view);
  }

  view(host: string): HostView | undefined {
    return this.polls.get(host)?.view;
  }

  start(): void {
    for (const poll of this.polls.values()) this.schedule(poll, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const poll of this.polls.values()) clearTimeout(poll.timer);
  }

  /** Polls a host at once (after an action); `apps`: its deploy records are read again too. */
  async refresh(host: string, apps: boolean): Promise<void> {
    const poll = this.polls.get(host);
    if (!poll) return;
    if (apps) poll.appsStale = true;
    await poll.running;
    await this.pollNow(poll);
  }

  /** One poll of one host, its view handed on if it changed; never throws (a failure is the host's view). */
  async pollNow(poll: HostPoll): Promise<void> {
    clearTimeout(poll.timer);
    const running = this.poll(poll).finally(() => {
      poll.running = undefined;
      const failed = poll.view.reach !== 'ok';
      this.schedule(poll, failed ? Math.max(this.options.intervalMs, retryFloorMs) : this.options.intervalMs);
    });
    poll.running = running;
    await running;
  }

  private schedule(poll: HostPoll, ms: number): void {
    if (this.stopped) return;
    clearTimeout(poll.timer);
    poll.timer = setTimeout(() => void this.pollNow(poll), ms);
    poll.timer.unref();
  }

  private async poll(poll: HostPoll): Promise<void> {
    const { host } = poll;
    let view: HostView;
    let session: S | undefined;
    try {
      session = await this.options.source.session(host);
      if (session.lost) await session.relog();
      const supervisor = session.supervisor().bounded(this.options.pollTimeoutMs, "convoy ui's poll timeout");
      const programs = (await supervisor.getAllProcessInfo()).map(programView);
      const apps = poll.appsStale ? await this.appsOf(poll, session, programs) : poll.view.apps;
      view = { host: host.name, reach: 'ok', programs, apps };
    } catch (error) {
      // No session: the next poll connects anew (the fleet keeps a failed one for the rest of a one-shot run).
      if (!session) this.options.source.forget(host);
      view = failedView(host.name, error, poll.view.apps);
    }
    if (this.stopped) return;
    const signature = viewSignature(view);
    poll.view = view;
    if (signature === poll.signature) return;
    poll.signature = signature;
    this.options.onView(view);
  }

  /** The deploy records of the host's groups; a record that cannot be read leaves the apps as they were. */
  private async appsOf(poll: HostPoll, session: S, programs: readonly { group: string }[]) {
    try {
      const apps = await this.options.readApps(session, poll.host, [...new Set(programs.map((p) => p.group))]);
      poll.appsStale = false;
      return apps;
    } catch {
      return poll.view.apps;
    }
  }
}
