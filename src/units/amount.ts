// How many hosts at a time (`--rolling`, `rolling.batch`, `maxFail`): a count, or a share of the target.

export type Amount = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

const pattern = /^(\d+)(%?)$/;

// What a message says was expected.
export const amountHint = "a whole number of hosts like 2, or a percentage like '25%'";

// Only the syntax: `2`, `'2'`, `'25%'` (0 to 100); whether it fits the target is the scheduler's question.
export function parseAmount(value: unknown): Amount | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = pattern.exec(text);
  if (!match) return undefined;
  const n = Number(match[1]);
  if (match[2] === '%') return n <= 100 ? { kind: 'percent', value: n } : undefined;
  return Number.isSafeInteger(n) ? { kind: 'count', value: n } : undefined;
}
