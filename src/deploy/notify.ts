// Webhooks of a deploy or rollback (docs/deploy.md, "Notifications"): their URLs read once per run, before anything
// connects, then each event POSTed to all of them at once with Node's fetch, each call bounded by a timeout. A webhook
// that fails is a value for a warning, never an error: it must not change what the run does or its exit code.
import { ValidationError } from '../errors.ts';
import type { WebhookEntry } from '../inventory/webhooks.ts';
import { webhookLabel, webhookUrlProblem } from '../inventory/webhooks.ts';
import { resolveSecrets } from '../secrets/resolve.ts';
import { SecretValue } from '../secrets/values.ts';

/** A webhook ready to call: its URL a secret value (printed as its label only), its label for messages. */
export interface Webhook {
  label: string;
  url: SecretValue;
}

/** A webhook that did not take an event: which, and why (never its URL). */
export interface WebhookFailure {
  label: string;
  reason: string;
}

/** Node's fetch, injectable for tests. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface PostOptions {
  timeoutMs: number;
  fetch?: FetchFunction;
}

/**
 * Reads the URLs of `entries` (written as is, or from env, a file or a command like an app's secrets) and checks
 * them: one that cannot be read or is not http(s) stops the run (exit 2), named by its key and source, never its value.
 */
export async function resolveWebhooks(
  entries: readonly WebhookEntry[],
  context: { where: string; project: string; env: NodeJS.ProcessEnv },
): Promise<Webhook[]> {
  const problems: string[] = [];
  const hooks: Webhook[] = [];
  for (const { key, source } of entries) {
    const label = webhookLabel(source);
    if ('url' in source) {
      hooks.push({ label, url: new SecretValue(label, source.url) });
      continue;
    }
    try {
      const [url] = await resolveSecrets([{ name: key, source }], { ...context, key: '' });
      const problem = url && webhookUrlProblem(url.reveal(), label);
      if (problem) problems.push(`${context.where} ${key}: ${problem}`);
      else if (url) hooks.push({ label, url: new SecretValue(label, url.reveal()) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0)
    throw new ValidationError(`notify: ${problems.length} webhook(s) could not be read`, problems);
  return hooks;
}

/** The same URL given twice (in the inventory and in an app) is called once, under its first label. */
export function distinctWebhooks(hooks: readonly Webhook[]): Webhook[] {
  const byUrl = new Map<string, Webhook>();
  for (const hook of hooks) if (!byUrl.has(hook.url.reveal())) byUrl.set(hook.url.reveal(), hook);
  return [...byUrl.values()];
}

/** POSTs `body` as JSON to every webhook at once; resolves (never rejects) with those that failed, within the timeout. */
export async function postToWebhooks(
  hooks: readonly Webhook[],
  body: unknown,
  options: PostOptions,
): Promise<WebhookFailure[]> {
  const json = JSON.stringify(body);
  const failures = await Promise.all(hooks.map((hook) => postOne(hook, json, options)));
  return failures.filter((f): f is WebhookFailure => f !== undefined);
}

async function postOne(hook: Webhook, json: string, options: PostOptions): Promise<WebhookFailure | undefined> {
  const fetchFn = options.fetch ?? fetch;
  // One signal for the answer and its body: a server that sends headers then stalls is cut off all the same. A timer
  // of our own rather than AbortSignal.timeout, whose timer does not keep the process alive until the call is done.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), options.timeoutMs);
  try {
    const response = await fetchFn(hook.url.reveal(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'convoy' },
      body: json,
      signal: controller.signal,
      // A redirect is not followed: re-POSTing to wherever it points is not what the hook's owner set up.
      redirect: 'manual',
    });
    await response.arrayBuffer();
    if (response.status >= 200 && response.status < 300) return undefined;
    return { label: hook.label, reason: `answered HTTP ${response.status}` };
  } catch (error) {
    return { label: hook.label, reason: whyNot(error, hook, options.timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
}

/** Why a call failed, in words that cannot hold the URL: the timeout, or the network error's code. */
function whyNot(error: unknown, hook: Webhook, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `did not answer within ${timeoutMs / 1000}s`;
  const code = e.cause?.code ?? e.code;
  if (code) return `could not be reached (${code})`;
  const message = (e.cause?.message ?? e.message ?? String(error)).replaceAll(hook.url.reveal(), hook.label);
  return `could not be reached (${message})`;
}
