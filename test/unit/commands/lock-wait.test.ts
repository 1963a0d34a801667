// What `--lock-wait` says once per host (who holds the lock, for how long the run waits), and the dirty flag the
// deploy record carries beside the commit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gitState } from '../../../src/commands/fleet-context.ts';
import { neverInterrupted } from '../../../src/commands/interruption.ts';
import { lockWaitOf } from '../../../src/commands/lock-wait.ts';

test('no --lock-wait, no wait; with one, the holder and the duration are said, Ctrl-C is the end of it', () => {
  assert.equal(
    lockWaitOf(undefined, neverInterrupted, () => {}),
    undefined,
  );
  const said: string[] = [];
  const wait = lockWaitOf(120_000, neverInterrupted, (host, app, text) => said.push(`${host} ${app}: ${text}`));
  assert.equal(wait?.ms, 120_000);
  assert.equal(wait?.stopped, neverInterrupted.promise);
  const owner = JSON.stringify({ user: 'bob', machine: 'ci', pid: 7, since: 'S', command: 'convoy deploy web hello' });
  wait?.onWait?.('web1', 'hello', owner);
  assert.deepEqual(said, [
    'web1 hello: waiting up to 2m for the lock held by bob@ci (pid 7) since S running `convoy deploy web hello`',
  ]);
});

test('the task repository is dirty when a tracked file changed (untracked files do not count)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
  try {
    assert.deepEqual(await gitState(dir), { commit: undefined, dirty: false }, 'not a git checkout');
    writeFileSync(path.join(dir, 'a'), '1\n');
    git('init', '-q');
    git('add', 'a');
    git('commit', '-qm', 'a');
    assert.match((await gitState(dir)).commit ?? '', /^[0-9a-f]{40}$/);
    writeFileSync(path.join(dir, 'b'), 'untracked\n');
    assert.equal((await gitState(dir)).dirty, false);
    writeFileSync(path.join(dir, 'a'), '2\n');
    assert.equal((await gitState(dir)).dirty, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
