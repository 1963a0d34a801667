// A deploy's or rollback's notifications, app by app (docs/deploy.md, "Notifications"). The start event is not awaited:
// the app's hosts start at once, whatever the webhooks do. Its end event waits for the start to be answered (or to
// time out), so that a receiver sees them in order, and is awaited, bounded by the same timeout, before the next app
// and before the run ends, so that it is sent before the process exits. Failures are warnings, after the app's view.
import type { FetchFunction, Webhook } from '../deploy/notify.ts';
import { postToWebhooks } from '../deploy/notify.ts';
import type { HostDeployResult } from '../deploy/results.ts';
import type { NotificationBody, NotifyApp, NotifyRun, NotifyWarning } from '../output/notify.ts';
import { endBody, showNotifyWarnings, startBody } from '../output/notify.ts';
import type { Output } from '../output/output.ts';

export interface NotifierOptions {
  out: Output;
  run: NotifyRun;
  timeoutMs: number;
  fetch?: FetchFunction | undefined;
}

/** One app's notifications once its start was sent. */
export interface AppNotice {
  /** Sends the end event (after the start), waits for both, and shows any failure as a warning. */
  end(results: readonly HostDeployResult[], error?: string): Promise<void>;
}

const silent: AppNotice = { end: () => Promise.resolve() };

/** Sends the app's start event to its webhooks (nothing when it has none) and returns how to end it. */
export function noticeStart(options: NotifierOptions, app: NotifyApp, hooks: readonly Webhook[]): AppNotice {
  if (hooks.length === 0) return silent;
  const began = performance.now();
  const post = async (body: NotificationBody): Promise<NotifyWarning[]> => {
    const failures = await postToWebhooks(hooks, body, { timeoutMs: options.timeoutMs, fetch: options.fetch });
    const { action } = options.run;
    return failures.map((f) => ({ webhook: f.label, reason: f.reason, event: body.event, action, app: app.app }));
  };
  const started = post(startBody(options.run, app));
  return {
    end: async (results, error) => {
      const first = await started;
      const last = await post(endBody(options.run, app, results, performance.now() - began, error));
      showNotifyWarnings(options.out, [...first, ...last]);
    },
  };
}
