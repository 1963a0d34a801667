// The dashboard's live state: every host's view (from the poller), the pages that follow it, and the actions in
// flight. It pushes each change to every open page; it knows nothing of HTTP beyond the event streams.
import type { ProcessResult } from '../supervisor/control.ts';
import type { ActionProgress, ActionRequest } from './actions.ts';
import { actionSucceeded } from './actions.ts';
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

export interface DashboardOptions {
  target: string;
  /** The local user, as the deploy records name who did an action. */
  user: string;
  intervalMs: number;
  /** Runs an action on one host through the control code (lock, gate, record). */
  runAction(request: ActionRequest): Promise<ProcessResult[]>;
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

  /** Starts an action unless one runs on that host already; its progress is pushed to every page. */
  start(request: ActionRequest): { ok: true; progress: ActionProgress } | { ok: false; problem: string } {
    if (this.busyHosts.has(request.host)) {
      return { ok: false, problem: `an action is running on ${request.host}: wait for it to end` };
    }
    this.busyHosts.add(request.host);
    const progress: ActionProgress = { id: this.nextId++, ...request, state: 'running', user: this.options.user };
    this.announce(progress);
    void this.finish(progress, request);
    return { ok: true, progress };
  }

  private async finish(progress: ActionProgress, request: ActionRequest): Promise<void> {
    let done: ActionProgress;
    try {
      const results = await this.options.runAction(request);
      done = { ...progress, state: actionSucceeded(results) ? 'done' : 'failed', results };
    } catch (error) {
      done = { ...progress, state: 'failed', error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.busyHosts.delete(request.host);
    }
    this.announce(done);
    await this.source?.refresh(request.host, true);
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
