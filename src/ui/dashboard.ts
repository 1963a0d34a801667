// The dashboard's live state: every host's view (from the poller), the pages that follow it, and the actions in
// flight. It pushes each change to every open page; it knows nothing of HTTP beyond the event streams.
import type { ProcessResult } from '../supervisor/control.ts';
import type { ActionProgress, ActionRequest } from './actions.ts';
import { everyHost } from './actions.ts';
import type { HostView } from './model.ts';
import { byHostName } from './model.ts';

/** Where the host views come from (the FleetPoller). */
export interface ViewSource {
  views(): HostView[];
  view(host: string): HostView | undefined;
  /** Polls the host at once; `apps`: its deploy records are read again too. */
  refresh(host: string, apps: boolean): Promise<void>;
}

/** Something that takes events: an open page's stream. */
export interface EventSink {
  send(event: string, data: unknown): void;
}

/** What a fleet-wide action tells as it goes. */
export type ActionUpdate = Pick<ActionProgress, 'batch' | 'hosts'>;

export interface DashboardOptions {
  target: string;
  /** The local user, as the deploy records name who did an action. */
  user: string;
  intervalMs: number;
  /**
   * Runs an action through the control code (lock, gate, record): on one host, or rolling over every host that runs
   * the group (`*`), telling its batches and hosts to `progress` as they go; `ok`: every host and program did as asked.
   */
  runAction(
    request: ActionRequest,
    progress: (update: ActionUpdate) => void,
  ): Promise<{ value: ProcessResult[]; ok: boolean }>;
}

export class Dashboard {
  private readonly pages = new Set<EventSink>();
  private readonly busyHosts = new Set<string>();
  private readonly recent: ActionProgress[] = [];
  private nextId = 1;
  private source: ViewSource | undefined;

  constructor(private readonly options: DashboardOptions) {}

  /** Set once the poller exists (it hands its views to `publish`). */
  attach(source: ViewSource): void {
    this.source = source;
  }

  view(host: string): HostView | undefined {
    return this.source?.view(host);
  }

  views(): HostView[] {
    return this.source?.views() ?? [];
  }

  /** A host's view changed: every open page gets it. */
  publish(view: HostView): void {
    for (const page of this.pages) page.send('host', view);
  }

  /** A page opened its event stream: who it is talking to, then everything as it is now. */
  join(page: EventSink, csrf: string): () => void {
    const { target, user, intervalMs } = this.options;
    page.send('hello', { target, user, intervalMs, csrf });
    page.send('snapshot', { hosts: (this.source?.views() ?? []).sort(byHostName), actions: this.recent });
    this.pages.add(page);
    return () => this.pages.delete(page);
  }

  /** Why an action cannot start now: one runs on that host already, or a fleet-wide one runs (or would). */
  private busyWith(host: string): string | undefined {
    if (this.busyHosts.has(everyHost)) return 'an action on every host is running: wait for it to end';
    if (host === everyHost && this.busyHosts.size > 0)
      return `actions are running on ${[...this.busyHosts].join(', ')}: wait for them to end`;
    return this.busyHosts.has(host) ? `an action is running on ${host}: wait for it to end` : undefined;
  }

  /** Starts an action unless one runs on that host already; its progress is pushed to every page. */
  start(request: ActionRequest): { ok: true; progress: ActionProgress } | { ok: false; problem: string } {
    const busy = this.busyWith(request.host);
    if (busy) return { ok: false, problem: busy };
    this.busyHosts.add(request.host);
    const progress: ActionProgress = { id: this.nextId++, ...request, state: 'running', user: this.options.user };
    this.announce(progress);
    void this.finish(progress, request);
    return { ok: true, progress };
  }

  private async finish(progress: ActionProgress, request: ActionRequest): Promise<void> {
    let done: ActionProgress = progress;
    const update = (u: ActionUpdate) => {
      done = { ...done, ...u };
      this.announce(done);
    };
    try {
      const { value, ok } = await this.options.runAction(request, update);
      done = { ...done, state: ok ? 'done' : 'failed', results: value };
    } catch (error) {
      done = { ...done, state: 'failed', error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.busyHosts.delete(request.host);
    }
    this.announce(done);
    const touched = request.host === everyHost ? (this.source?.views() ?? []).map((v) => v.host) : [request.host];
    await Promise.all(touched.map((host) => this.source?.refresh(host, true)));
  }

  private announce(progress: ActionProgress): void {
    const at = this.recent.findIndex((a) => a.id === progress.id);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.push(progress);
    // The page shows the last few; older ones are in the hosts' deploy records.
    if (this.recent.length > 20) this.recent.shift();
    for (const page of this.pages) page.send('action', progress);
  }
}
