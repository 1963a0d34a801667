// What webhooks receive for a deploy or rollback (docs/deploy.md, "Notifications"): one JSON body per event and app,
// with a one-line `text` a Slack-compatible hook shows as is; and the warning a webhook that failed is worth.
import type { HostDeployResult } from '../deploy/results.ts';
import { outcomeStatus, summarizeDeploy } from '../deploy/results.ts';
import type { Output } from './output.ts';
import { counted, deployWords, secondsText } from './words.ts';

export type NotifyEvent = 'start' | 'success' | 'failure';

/** The run as every notification names it. */
export interface NotifyRun {
  action: 'deploy' | 'rollback';
  /** `alice@laptop` (CONVOY_USER wins over the login, as in the lock). */
  who: string;
  /** The run's id: the lock token, `run` in each host's deploy record. */
  run: string;
}

/** The app a notification is about: its hosts in this run and, for `rollback --to`, the release asked for. */
export interface NotifyApp {
  app: string;
  hosts: readonly string[];
  release?: string | undefined;
}

/** How a finished app went: counts and each host's result word; null at start. */
export interface NotifyOutcome {
  ok: number;
  failed: number;
  unreachable: number;
  skipped: number;
  results: Record<string, string>;
}

export interface NotificationBody {
  event: NotifyEvent;
  action: 'deploy' | 'rollback';
  app: string;
  release: string | null;
  hosts: string[];
  who: string;
  outcome: NotifyOutcome | null;
  durationMs: number;
  run: string;
  /** Set when the run stopped on an error of its own (not a host's). */
  error?: string;
  text: string;
}

/** Host lists in `text` stop after this many, so the message stays one line. */
const namedHosts = 5;

export function startBody(run: NotifyRun, app: NotifyApp): NotificationBody {
  const to = app.release ? ` to ${app.release}` : '';
  const doing = run.action === 'deploy' ? `deploying ${app.app} to` : `rolling back ${app.app}${to} on`;
  const text = `${run.who} is ${doing} ${capped(app.hosts)} (run ${run.run})`;
  return body('start', run, app, { release: app.release ?? null, outcome: null, durationMs: 0, text });
}

/** `success` when every host of the app ended ok; `failure` otherwise, or when the run stopped on `error`. */
export function endBody(
  run: NotifyRun,
  app: NotifyApp,
  results: readonly HostDeployResult[],
  durationMs: number,
  error?: string,
): NotificationBody {
  const summary = summarizeDeploy(results, durationMs);
  const success = error === undefined && summary.ok === summary.total && summary.total > 0;
  const outcome: NotifyOutcome = {
    ok: summary.ok,
    failed: summary.failed,
    unreachable: summary.unreachable,
    skipped: summary.skipped,
    results: Object.fromEntries(results.map((r) => [r.host, deployWords[r.outcome]])),
  };
  const release = commonRelease(results);
  const took = `(${secondsText(durationMs)}, ${run.who})`;
  const what = `${run.action} of ${app.app}`;
  let text: string;
  if (error !== undefined) text = `${what} FAILED: ${error} ${took}`;
  else if (success)
    text = `${what} succeeded on ${counted(summary.total, 'host')}${release ? `: ${release}` : ''} ${took}`;
  else
    text = `${what} FAILED on ${summary.total - summary.ok} of ${counted(summary.total, 'host')}: ${problemHosts(results)} ${took}`;
  return body(success ? 'success' : 'failure', run, app, {
    release,
    outcome,
    durationMs: Math.round(durationMs),
    text,
    ...(error !== undefined ? { error } : {}),
  });
}

function body(
  event: NotifyEvent,
  run: NotifyRun,
  app: NotifyApp,
  rest: Pick<NotificationBody, 'release' | 'outcome' | 'durationMs' | 'text' | 'error'>,
): NotificationBody {
  const { text, ...others } = rest;
  return {
    event,
    action: run.action,
    app: app.app,
    hosts: [...app.hosts],
    who: run.who,
    ...others,
    run: run.run,
    text,
  };
}

/** The release every host that ended ok runs, when they agree (templates may give hosts releases of their own). */
function commonRelease(results: readonly HostDeployResult[]): string | null {
  const releases = new Set(results.filter((r) => outcomeStatus[r.outcome] === 'ok').map((r) => r.release));
  const [only] = releases;
  return releases.size === 1 && only !== undefined ? only : null;
}

/** `web2 reverted, web3 unreachable`, the first few. */
function problemHosts(results: readonly HostDeployResult[]): string {
  const bad = results
    .filter((r) => outcomeStatus[r.outcome] !== 'ok')
    .map((r) => `${r.host} ${deployWords[r.outcome]}`);
  return capped(bad);
}

function capped(items: readonly string[]): string {
  const more = items.length - namedHosts;
  return items.slice(0, namedHosts).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** A webhook that did not take an event, as the run reports it: a warning line, or a `warning` record. */
export interface NotifyWarning {
  webhook: string;
  reason: string;
  event: NotifyEvent;
  action: 'deploy' | 'rollback';
  app: string;
}

export function showNotifyWarnings(out: Output, warnings: readonly NotifyWarning[]): void {
  for (const w of warnings) {
    const message = `webhook ${w.webhook} ${w.reason} (${w.event} of ${w.action} ${w.app}; the ${w.action} is not affected)`;
    if (out.jsonMode) out.record({ type: 'warning', message, webhook: w.webhook, event: w.event, app: w.app });
    else out.warn(`warning: ${message}`);
  }
}
