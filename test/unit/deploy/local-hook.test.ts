// Batch hooks on this machine through a real /bin/sh: output line by line, failure by exit code, the step timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalHookError, runLocalHook } from '../../../src/deploy/local-hook.ts';

const run = (command: string, timeoutMs = 10_000) => {
  const lines: string[] = [];
  const done = runLocalHook('beforeBatch 1 (on this machine)', command, {
    cwd: '/',
    env: { CONVOY_BATCH_HOSTS: 'web1 web2' },
    timeoutMs,
    onLine: (line, stream) => lines.push(`${stream}: ${line}`),
  });
  return { lines, done };
};

test('a local hook sees the batch in its environment; its lines come as they are', async () => {
  const { lines, done } = run('echo "$CONVOY_BATCH_HOSTS"; printf "a\\nb"; echo err >&2');
  await done;
  assert.deepEqual(lines.sort(), ['stderr: err', 'stdout: a', 'stdout: b', 'stdout: web1 web2']);
});

test('a local hook fails by exit code, with the last lines of its stderr', async () => {
  const { done } = run('echo one >&2; echo two >&2; echo three >&2; echo four >&2; exit 3');
  await assert.rejects(done, (error: Error) => {
    assert.ok(error instanceof LocalHookError);
    assert.equal(error.message, 'beforeBatch 1 (on this machine) exited with 3: two / three / four');
    return true;
  });
});

test('a local hook that outlives the step timeout is stopped, with what it started, and fails', async () => {
  const { done } = run('sleep 5; true', 100);
  await assert.rejects(done, /did not finish within 0.1s \(step timeout\)/);
});
