import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shellJoin, shellQuote } from '../../../src/shell/quote.ts';

test('safe words stay as they are', () => {
  assert.equal(shellQuote('/opt/app/releases/20261125-abc'), '/opt/app/releases/20261125-abc');
  assert.equal(shellQuote('web:*'.replace('*', 'x')), 'web:x');
});

test('everything else is single-quoted, with embedded quotes closed and escaped', () => {
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$(rm -rf /)'), "'$(rm -rf /)'");
  assert.equal(shellJoin(['echo', 'a;b', '`x`']), "echo 'a;b' '`x`'");
});

test('a real shell reads every hostile word back intact', () => {
  const words = [
    "it's",
    '$(touch /tmp/pwned)',
    '`id`',
    'a;b',
    'new\nline',
    '../x',
    ' spaces ',
    'ünïcödé',
    '*',
    '\\',
    '"q"',
    '!x',
  ];
  const printed = execFileSync('sh', ['-c', `printf '%s\\0' ${shellJoin(words)}`])
    .toString('utf8')
    .split('\0')
    .slice(0, -1);
  assert.deepEqual(printed, words);
});
