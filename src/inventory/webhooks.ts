// Webhook URLs for notifications (docs/deploy.md, "Notifications"): checked where they are written (the inventory's
// [defaults], an app's `notify`) and named without their path whenever Convoy speaks of them, because a hook's path
// is often its token (Slack's /services/T…/B…/secret): messages show `https://hooks.slack.com/…`, never the URL.
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';
import { splitList } from './names.ts';

/** Where a webhook's URL comes from: written as is, or read on this machine like an app's secrets. */
export type WebhookSource = { url: string } | { env: string } | { file: string } | { command: string };

/** One webhook as written, and its key (`notify`, `notify[1]`) for messages. */
export interface WebhookEntry {
  key: string;
  source: WebhookSource;
}

/** The inventory's own notifications: `notify` and `notify_timeout` of [defaults]. */
export interface NotifySettings {
  /** Where `notify` is written, for messages: `inventories/prod.ini:3: [defaults]`. */
  where: string;
  webhooks: WebhookEntry[];
  /** How long each call may take; absent = defaultNotifyTimeoutMs. */
  timeoutMs?: number;
}

/** A webhook that has not answered within this is abandoned with a warning (`notify_timeout` changes it). */
export const defaultNotifyTimeoutMs = 5_000;

/** Keys only [defaults] may set: notifications are about a run, not about a host. */
export const defaultsOnlyKeys = ['notify', 'notify_timeout'] as const;
export type DefaultsOnlyKey = (typeof defaultsOnlyKeys)[number];

export function isDefaultsOnly(key: string): key is DefaultsOnlyKey {
  return (defaultsOnlyKeys as readonly string[]).includes(key);
}

/** A run must not wait on a webhook for long: at most a minute. */
export const notifyTimeoutRange: DurationRange = { max: 60_000 };

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `https://hooks.slack.com/…`: the scheme, host and port of a URL, the rest hidden; for a non-URL, its start only. */
export function redactedUrl(raw: string): string {
  const url = parsedUrl(raw);
  if (!url) return `${/^[^/?#@:]{0,16}/.exec(raw.trim())?.[0] ?? ''}…`;
  const rest = url.pathname === '/' && url.search === '' && url.hash === '' ? '' : '/…';
  return `${url.protocol}//${url.host}${rest}`;
}

/** How messages name a webhook: its host (and port), or where its secret comes from. */
export function webhookLabel(source: WebhookSource): string {
  if ('url' in source) return parsedUrl(source.url)?.host || redactedUrl(source.url);
  if ('env' in source) return `$${source.env}`;
  if ('file' in source) return `file ${source.file}`;
  return `command \`${source.command}\``;
}

/** Why a URL cannot be a webhook, or undefined; the message shows only its redacted form. */
export function webhookUrlProblem(raw: string, shown = `'${redactedUrl(raw)}'`): string | undefined {
  const url = parsedUrl(raw);
  const expected = '(expected an http:// or https:// URL)';
  if (!url) return `${shown} is not a URL ${expected}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${shown} is not http or https ${expected}`;
  if (url.hostname === '') return `${shown} has no host ${expected}`;
  // fetch refuses URLs with credentials; a header would be the way, and Convoy sends none.
  if (url.username !== '' || url.password !== '') return `${shown} holds a user name or password (not supported)`;
  return undefined;
}

/** `notify = https://…, env:SLACK_HOOK`: the list, or why an item is wrong (each message names its item). */
export function parseNotifyList(raw: string): { sources: WebhookSource[]; problems: string[] } {
  const sources: WebhookSource[] = [];
  const problems: string[] = [];
  const items = splitList(raw);
  if (items.length === 0) problems.push('empty value (expected http(s) URLs or env:NAME, comma-separated)');
  for (const item of items) {
    if (item.startsWith('env:')) {
      const name = item.slice('env:'.length);
      if (envName.test(name)) sources.push({ env: name });
      else problems.push(`'${item}' is not env:NAME (expected an environment variable name after env:)`);
      continue;
    }
    const problem = webhookUrlProblem(item);
    if (problem) problems.push(`${problem}; or env:NAME for a URL read from the environment`);
    else sources.push({ url: item });
  }
  return { sources, problems };
}

/** `notify_timeout`: milliseconds, or why not. */
export function parseNotifyTimeout(raw: string): { value: number } | { error: string } {
  const ms = parseDuration(raw, notifyTimeoutRange);
  return ms === undefined
    ? { error: `'${raw}' is not valid (expected ${expectedDuration(notifyTimeoutRange)})` }
    : { value: ms };
}

function parsedUrl(raw: string): URL | undefined {
  try {
    return new URL(raw.trim());
  } catch {
    return undefined;
  }
}
