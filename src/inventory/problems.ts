// One input problem, located; the loader collects them all and throws one ValidationError.
import { ValidationError } from '../errors.ts';

// Where a problem is and what is wrong; `section` is the header text without brackets (`group:web`).
export interface Problem {
  file: string;
  line?: number;
  section?: string;
  key?: string;
  message: string;
}

// `file:line: [section] key: message`, leaving out the parts a problem does not have.
export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  const section = p.section === undefined ? '' : ` [${p.section}]`;
  const key = p.key === undefined ? '' : ` ${p.key}:`;
  return `${where}:${section}${key} ${p.message}`;
}

// Problems of the inventory file come first, by line, then those of the whole file; other files (ssh config) last.
export function validationError(file: string, problems: readonly Problem[]): ValidationError {
  const sorted = [...problems].sort((a, b) => rank(a, file) - rank(b, file));
  const lines = [...new Set(sorted.map(formatProblem))];
  const summary = `${file}: ${lines.length} problem${lines.length === 1 ? '' : 's'}`;
  return new ValidationError(summary, lines);
}

function rank(p: Problem, file: string): number {
  if (p.file !== file) return Number.MAX_SAFE_INTEGER;
  return p.line ?? Number.MAX_SAFE_INTEGER - 1;
}
