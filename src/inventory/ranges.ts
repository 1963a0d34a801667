// Host ranges in group lists: `web[01:20]` keeps the zero padding, `db[a:c]` counts letters, anywhere in a name.

// A typo like web[1:100000] must not make a hundred thousand hosts.
export const maxRangeHosts = 10_000;

// A bad range is a value, so the caller can report it with file, line and key.
export type RangeResult = { names: string[] } | { error: string };

type Part = string | string[];

// Expands every `[start:end]` in a pattern into names, in counting order (the product when there are several).
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

function count(inside: string): RangeResult {
  const bounds = inside.split(':');
  const [start, end] = bounds;
  if (bounds.length !== 2 || !start || !end) return { error: `expected [start:end], got [${inside}]` };
  const digits = /^\d+$/;
  const letter = /^[a-zA-Z]$/;
  if (digits.test(start) && digits.test(end)) {
    const from = Number(start);
    const to = Number(end);
    if (from > to) return { error: `start '${start}' is after end '${end}'` };
    if (to - from + 1 > maxRangeHosts) return { error: `expands to ${to - from + 1} names (at most ${maxRangeHosts})` };
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    return { names: Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(width, '0')) };
  }
  if (letter.test(start) && letter.test(end)) {
    if ((start === start.toLowerCase()) !== (end === end.toLowerCase())) {
      return { error: `'${start}' and '${end}' must be the same case` };
    }
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) return { error: `start '${start}' is after end '${end}'` };
    return { names: Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i)) };
  }
  const kind = (s: string): string => (digits.test(s) ? 'number' : letter.test(s) ? 'letter' : 'other');
  if (kind(start) !== 'other' && kind(end) !== 'other') {
    return { error: `'${start}' and '${end}' must both be numbers or both be letters` };
  }
  return { error: `expected numbers or single letters, got [${inside}]` };
}
