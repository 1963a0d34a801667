// Connection durations as OpenSSH and Ansible users write them: `10` (seconds, like ConnectTimeout=10), `500ms`,
// `2.5s`, `1m`. Shared by the inventory's timeout settings and the `--timeout` flag.

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const maxMs = 3_600_000;

// What a problem message says was expected.
export const connectionDurationHint = "seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'";

// Milliseconds, or undefined when `raw` is not a duration from 1ms (0 too when allowed) to 1h.
export function parseConnectionDuration(raw: string, options: { allowZero?: boolean } = {}): number | undefined {
  const match = pattern.exec(raw.trim());
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * (units[match[2] ?? 's'] ?? Number.NaN));
  if (!(ms <= maxMs)) return undefined;
  return ms > 0 || (ms === 0 && options.allowZero === true) ? ms : undefined;
}
