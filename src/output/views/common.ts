// What every command's view shares: one JSON record per host, failure lines, host order.
import type { HostOutcome } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { JsonRecord, Output } from '../output.ts';

/** `{type: "result", host, status, durationMs, …fields, error}`: a host's result as a JSON line. */
export function hostRecord(o: HostOutcome<unknown>, fields: Record<string, unknown> = {}): JsonRecord {
  return {
    type: 'result',
    host: o.host,
    status: o.status,
    durationMs: o.durationMs,
    ...fields,
    ...(o.error ? { error: o.error.message } : {}),
  };
}

/** Hosts in name order, numbers as numbers (web2 before web10). */
export const byHost = (a: { host: string }, b: { host: string }) =>
  a.host.localeCompare(b.host, 'en', { numeric: true });

/** One red line per host that did not succeed: `web2 ✗ exit code 1`. */
export function failureLines<T>(
  out: Output,
  outcomes: readonly HostOutcome<T>[],
  describe: (o: HostOutcome<T>) => string,
): void {
  const failed = outcomes.filter((o) => o.status !== 'ok');
  const width = Math.max(0, ...outcomes.map((o) => o.host.length));
  for (const o of failed) out.line(paint(out.color, 'red', `${o.host.padEnd(width)} ✗ ${describe(o)}`));
}
