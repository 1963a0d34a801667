// Hostile input, property-based: whatever the words, quoting hands them to a real shell intact and runs nothing;
// whatever the names, validation lets through only names that need no quoting and cannot climb paths.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkName } from '../../../src/inventory/names.ts';
import { shellJoin, shellQuote } from '../../../src/shell/quote.ts';
import { absolutePathProblem, nameProblem } from '../../../src/tasks/names.ts';

const hostileFragments = [
  "'",
  '"',
  '$(touch pwned)',
  '`touch pwned`',
  ';touch pwned',
  '\n',
  '../',
  ' ',
  '*',
  '\\',
  '$HOME',
  '!',
  '&',
  '|',
  '>',
  'é',
  '日本',
  '\t',
  '%s',
  '{{x}}',
];
// Strings built from hostile fragments and arbitrary text (no NUL: argv cannot carry it).
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...hostileFragments), fc.string({ unit: 'grapheme' })), { maxLength: 6 })
  .map((parts) => parts.join('').replaceAll('\0', ''));

test('shellJoin: a real sh reads every word back intact and executes none of it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-quote-'));
  fc.assert(
    fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (words) => {
      const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shellJoin(words)}`], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), words);
    }),
    { numRuns: 150 },
  );
  assert.deepEqual(readdirSync(dir), [], 'a quoted word was executed');
});

test('an accepted app, program or task name needs no quoting and is no path trick', () => {
  fc.assert(
    fc.property(fc.oneof(hostile, fc.stringMatching(/^[A-Za-z0-9_.-]{1,70}$/)), (name) => {
      if (nameProblem('program', name) !== undefined) return;
      assert.equal(shellQuote(name), name);
      assert.ok(
        !name.includes('/') && !name.includes(':') && name !== '.' && name !== '..' && !name.startsWith('-'),
        name,
      );
    }),
    { numRuns: 500 },
  );
});

test('a name with any shell or path metacharacter is refused with a message naming it', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 10 }),
      fc.constantFrom("'", '"', '$(', '`', ';', '\n', '/', ' ', ':', '*'),
      fc.string({ maxLength: 10 }),
      (a, bad, b) => {
        const name = `x${a}${bad}${b}`;
        const problem = nameProblem('app', name);
        assert.ok(problem?.startsWith(`'${name}' is not a valid app name`), `${JSON.stringify(name)}: ${problem}`);
        assert.ok(checkName('host', name)?.includes('is not valid'), JSON.stringify(name));
      },
    ),
    { numRuns: 300 },
  );
});

test('an accepted app root is absolute, normalized and needs no quoting', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        hostile.map((s) => `/srv/${s}`),
        fc.stringMatching(/^\/[a-z./]{1,20}$/),
      ),
      (root) => {
        if (absolutePathProblem(root) !== undefined) return;
        assert.equal(shellQuote(root), root);
        assert.ok(!root.split('/').includes('..') && !root.split('/').includes('.'), root);
      },
    ),
    { numRuns: 500 },
  );
});
