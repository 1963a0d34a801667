#!/usr/bin/env node
// Lists the functions in src/ longer than MAX lines (default 60, the limit lint enforces), longest first, counted as
// ESLint's max-lines-per-function counts them: nested functions included, blank lines and comments not.
// Usage: npm run long-functions [-- MAX]
import path from 'node:path';
import { ESLint } from 'eslint';

const max = Number(process.argv[2] ?? 60);
if (!Number.isInteger(max) || max < 1) {
  console.error(`long-functions: '${process.argv[2]}' is not a line count (expected a positive integer)`);
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
const rule = 'max-lines-per-function';
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['src/**/*.ts'],
    rules: { [rule]: ['error', { max, skipBlankLines: true, skipComments: true }] },
  },
});
const found = (await eslint.lintFiles(['src'])).flatMap((result) =>
  result.messages
    .filter((m) => m.ruleId === rule)
    .map((m) => ({
      where: `${path.relative(root, result.filePath)}:${m.line}`,
      message: m.message,
      lines: Number(/\((\d+)\)/.exec(m.message)?.[1] ?? 0),
    })),
);
found.sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
for (const f of found) console.log(`${f.where}: ${f.message}`);
console.log(found.length === 0 ? `no function in src/ is over ${max} lines` : `${found.length} over ${max} lines`);
