// Host ranges in group lists, as Ansible writes them: `web[01:20]` keeps the zero padding, `db[a:c]` counts letters,
// `web[01:10:2]` takes every second name, anywhere in a name.

// A typo like web[1:100000] must not make a hundred thousand hosts.
export const maxRangeHosts = 10_000;

// A bad range is a value, so the caller can report it with file, line and key.
export type RangeResult = { names: string[] } | { error: string };

type Part = string | string[];

// Expands every `[start:end]` or `[start:end:stride]` in a pattern into names, in counting order (the product when there are several).
export function expandRange(pattern: string): RangeResult {
  const parts: Part[] = [];
  let rest = pattern;
  while (rest.length > 0) {
    const open = rest.indexOf('[');
    const stray = rest.indexOf(']');
    if (stray !== -1 && (open === -1 || stray < open)) return bad(pattern, "']' without '['");
    if (open === -1) {
      parts.push(rest);
      break;
    }
    const close = rest.indexOf(']', open);
    const nested = rest.indexOf('[', open + 1);
    if (close === -1 || (nested !== -1 && nested < close)) return bad(pattern, "'[' is not closed");
    if (open > 0) parts.push(rest.slice(0, open));
    const counted = count(rest.slice(open + 1, close));
    if ('error' in counted) return bad(pattern, counted.error);
    parts.push(counted.names);
    rest = rest.slice(close + 1);
  }
  const total = parts.reduce((n, p) => n * (typeof p === 'string' ? 1 : p.length), 1);
  if (total > maxRangeHosts) return bad(pattern, `expands to ${total} names (at most ${maxRangeHosts})`);
  let names = [''];
  for (const part of parts) {
    names = typeof part === 'string' ? names.map((n) => n + part) : names.flatMap((n) => part.map((p) => n + p));
  }
  return { names };
}

function bad(pattern: string, why: string): RangeResult {
  return { error: `bad range '${pattern}': ${why}` };
}

// Ansible's `[start:end:stride]`: the stride is optional (1), the end is included when the count lands on it.
function count(inside: string): RangeResult {
  const bounds = inside.split(':');
  const [start, end, stride = '1'] = bounds;
  if ((bounds.length !== 2 && bounds.length !== 3) || !start || !end) {
    return { error: `expected [start:end] or [start:end:stride], got [${inside}]` };
  }
  const digits = /^\d+$/;
  const letter = /^[a-zA-Z]$/;
  // Ansible fails on a stride of 0 and makes no hosts for a negative one; both are mistakes worth naming.
  const step = digits.test(stride) ? Number(stride) : 0;
  if (step < 1) return { error: `expected a stride of 1 or more, got '${stride}'` };
  if (digits.test(start) && digits.test(end)) return numbers(start, end, step);
  if (letter.test(start) && letter.test(end)) {
    if ((start === start.toLowerCase()) !== (end === end.toLowerCase())) {
      return { error: `'${start}' and '${end}' must be the same case` };
    }
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) return { error: `start '${start}' is after end '${end}'` };
    return { names: steps(from, to, step).map((code) => String.fromCharCode(code)) };
  }
  const kind = (s: string): string => (digits.test(s) ? 'number' : letter.test(s) ? 'letter' : 'other');
  if (kind(start) !== 'other' && kind(end) !== 'other') {
    return { error: `'${start}' and '${end}' must both be numbers or both be letters` };
  }
  return { error: `expected numbers or single letters, got [${inside}]` };
}

function numbers(start: string, end: string, step: number): RangeResult {
  const from = Number(start);
  const to = Number(end);
  if (from > to) return { error: `start '${start}' is after end '${end}'` };
  // Counted before building the list, so web[1:1000000000] is refused without allocating it.
  const total = Math.floor((to - from) / step) + 1;
  if (total > maxRangeHosts) return { error: `expands to ${total} names (at most ${maxRangeHosts})` };
  const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
  return { names: steps(from, to, step).map((n) => String(n).padStart(width, '0')) };
}

// Python's range(from, to + 1, step), which Ansible counts with: the end only when a step lands on it.
function steps(from: number, to: number, step: number): number[] {
  return Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
}
