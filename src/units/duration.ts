// Durations, one grammar for the CLI, the inventory and task files: a number of seconds (`10`, `'2.5'`, as in
// OpenSSH's ConnectTimeout=10) or a number with a unit (`'500ms'`, `'2.5s'`, `'1m'`, `'1h'`). Everything downstream
// works in milliseconds; each caller says which range it accepts, and messages describe it the same way everywhere.

/** `'30s'`, `'1.5s'`, `'500ms'`, `'2m'`, `'1h'`, or a number of seconds: `30`, `'30'`. */
export type Duration = string | number;

/** What a caller accepts, in milliseconds. */
export interface DurationRange {
  /** The least accepted besides 0; default 1 (anything above 0). */
  min?: number;
  /** The most accepted; default (and at most) the longest a timer can wait, 596h. */
  max?: number;
  /** 0 is accepted too (below `min`). */
  allowZero?: boolean;
  /** What 0 means, for messages: 'no keepalives'. */
  zeroMeans?: string;
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Every duration ends up in a timer, and Node.js runs a timer of more than 2^31-1 ms (24.8 days) after 1 ms: a step
// timeout or a pause that long would end at once instead of never. So no range goes beyond this (24 days 20 hours).
const longestTimerMs = 596 * 3_600_000;
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

// The syntax, for messages; the range comes before it (see expectedDuration).
const durationHint = "seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'";

// Milliseconds (rounded), or undefined when `value` is not a duration or falls outside `range`.
export function parseDuration(value: unknown, range: DurationRange): number | undefined {
  const ms = milliseconds(value);
  if (ms === undefined) return undefined;
  if (ms === 0) return range.allowZero === true ? 0 : undefined;
  return ms >= (range.min ?? 1) && ms <= longestAccepted(range) ? ms : undefined;
}

function longestAccepted(range: DurationRange): number {
  return Math.min(range.max ?? longestTimerMs, longestTimerMs);
}

function milliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = pattern.exec(value.trim());
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * (units[match[2] ?? 's'] ?? Number.NaN));
  return Number.isFinite(ms) ? ms : undefined;
}

// What a message says was expected: "a duration from 0.2s to 1h (seconds, or a number with a unit: …)".
export function expectedDuration(range: DurationRange): string {
  return `${rangeText(range)} (${durationHint})`;
}

function rangeText(range: DurationRange): string {
  const { min = 1, allowZero = false, zeroMeans } = range;
  const upTo = formatMs(longestAccepted(range));
  let text: string;
  if (min <= 1 && allowZero) text = `a duration of at most ${upTo}`;
  else if (min <= 1) text = `a duration above 0, at most ${upTo}`;
  else text = `a duration from ${formatMs(min)} to ${upTo}`;
  if (allowZero && zeroMeans !== undefined) return `${text}, or 0 for ${zeroMeans}`;
  return allowZero && min > 1 ? `${text}, or 0` : text;
}

// The shortest exact spelling for a message: 1h, 2m, 0.2s, 1.5s, 50ms.
export function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms >= 100 ? `${ms / 1000}s` : `${ms}ms`;
}
