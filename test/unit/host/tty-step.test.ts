import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { ttyOutput, ttyStep } from '../../../src/host/tty-step.ts';

test("a tty step's root shell runs the script with no input, then its errors after the mark, and removes its directory", () => {
  const step = ttyStep();
  mkdirSync(step.dir, { mode: 0o700 });
  writeFileSync(`${step.dir}/${step.file}`, 'cat; echo out; echo err >&2; exit 3\n', { mode: 0o600 });
  const r = spawnSync('sh', ['-c', step.inner], { encoding: 'utf8', input: 'not for the script\n' });
  assert.equal(r.status, 3);
  assert.equal(existsSync(step.dir), false, 'the directory is gone');
  const told = ttyOutput(
    { host: 'h', code: 3, signal: null, stdout: r.stdout, stderr: '', durationMs: 1 },
    step.errorsMark,
  );
  assert.equal(told.stdout, 'out\n');
  assert.equal(told.stderr, 'err\n');
});

test('two steps never share a directory; output without a mark is left as it came', () => {
  assert.notEqual(ttyStep().dir, ttyStep().dir);
  const plain = { host: 'h', code: 1, signal: null, stdout: 'sudo said no', stderr: '', durationMs: 1 };
  assert.deepEqual(ttyOutput(plain, 'convoy-stderr-x'), plain);
});
