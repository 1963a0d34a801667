// Durations in task files: a number of seconds, or a number with a unit; everything downstream works in ms.

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

// What a problem message says was expected.
export const durationHint = "expected a number of seconds or '500ms', '30s', '1.5s', '2m', '1h'";

// Milliseconds (rounded), or undefined when the value is not a duration; negative numbers are not.
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = pattern.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (units[match[2] ?? ''] ?? Number.NaN));
}
