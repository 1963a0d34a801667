// The app's `notify` (docs/deploy.md, "Notifications"): webhooks called on its deploys and rollbacks, each a URL or a
// secret source (as in `secrets`: env, file, command) read once per run. A bad URL is named by its host only: the rest
// of a webhook's URL is often its token.
import type { WebhookEntry, WebhookSource } from '../inventory/webhooks.ts';
import { webhookUrlProblem } from '../inventory/webhooks.ts';
import type { Checker } from './shape.ts';
import { describe, isPlainObject } from './shape.ts';
import { validateSource } from './validate-secrets.ts';

/** One entry or a list of them, each with its key path (`notify[1]`). */
export function validateNotify(c: Checker, value: unknown): WebhookEntry[] {
  const items = Array.isArray(value) ? value : [value];
  const keyOf = (i: number) => (Array.isArray(value) ? `notify[${i}]` : 'notify');
  if (items.length === 0) c.report('notify', 'empty list (expected webhook URLs, or leave notify out)');
  return items.flatMap((item: unknown, i) => {
    const source = validateEntry(c, item, keyOf(i));
    return source ? [{ key: keyOf(i), source }] : [];
  });
}

function validateEntry(c: Checker, item: unknown, path: string): WebhookSource | undefined {
  if (typeof item === 'string') {
    const problem = webhookUrlProblem(item);
    return problem ? c.report(path, problem) : { url: item };
  }
  if (!isPlainObject(item))
    return c.report(path, `expected a URL or { env | file | command } (a secret source), got ${describe(item)}`);
  return validateSource(c, item, path);
}
