// "Did you mean" hints: typos in keys, group names and targets are the commonest input mistakes.

// Optimal string alignment distance: a swapped pair of letters ('suod') counts as one typo, not two.
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.MAX_SAFE_INTEGER;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

// How many edits still count as a typo: one for short words (two edits turn 'tier' into 'user'), two otherwise.
export function typoBudget(a: string, b: string): number {
  return Math.min(a.length, b.length) <= 4 ? 1 : 2;
}

// The closest candidate within the typo budget (first one on ties), or undefined when nothing is close;
// never a candidate that shares nothing with the word ('y' is not a typo of 'x').
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.MAX_SAFE_INTEGER;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(word, candidate);
    if (
      distance <= typoBudget(word, candidate) &&
      distance < Math.min(word.length, candidate.length) &&
      distance < bestDistance
    ) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// ` (did you mean 'web'?)`, or '' when nothing is close.
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hint = closest(word, candidates);
  return hint === undefined ? '' : ` (did you mean '${hint}'?)`;
}
