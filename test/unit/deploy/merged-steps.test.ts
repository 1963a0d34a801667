// The deploy's merged steps (src/deploy/merged-steps.ts), run by the local `sh` in a temporary directory: the lock
// step locks, makes the dirs and reads the free space and the state in one script, and stops before the lock where the
// root cannot be made; the close step prunes, records and unlocks, and a failed prune neither keeps the lock nor hides
// its reason; verify-and-store stores only the file whose digest is the expected one.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { lockCommand, newLockOwner, parseLockAnswer, unlockCommand } from '../../../src/deploy/lock.ts';
import {
  closeStepScript,
  lockStepScript,
  parseLockStep,
  parseVerifyAndStore,
  pruneFailure,
  verifyAndStoreScript,
} from '../../../src/deploy/merged-steps.ts';
import { appPaths, inspectCommand, parseInspect } from '../../../src/deploy/remote-state.ts';
import { stepScript } from '../../../src/shell/script.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convoy-merged-'));
after(() => {
  chmodSync(tmp, 0o700);
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a step script as Convoy sends it (`sh -s`, the script on stdin). */
const sh = (script: string) => execFileSync('sh', ['-s'], { input: stepScript(script), encoding: 'utf8' });

const owner = newLockOwner('convoy deploy all web');

function lockStep(root: string, force = false): string {
  const paths = appPaths(root, path.join(tmp, 'conf.d'), 'web', '.conf');
  return lockStepScript({
    root,
    logDir: path.join(root, 'shared', 'log'),
    uploadDirs: [paths.cacheDir, paths.releasesDir],
    lock: lockCommand(paths, owner, force),
    state: inspectCommand(paths, 'x.tar'),
  });
}

test('the lock step: root, lock, log dir, upload dirs and their free space, then the state, in one script', () => {
  const root = path.join(tmp, 'srv', 'web');
  const said = sh(lockStep(root));
  assert.deepEqual(parseLockAnswer(said), { locked: true });
  const step = parseLockStep(said);
  assert.equal(step.rootWritable, true);
  assert.equal(step.logDirWritable, true);
  assert.ok(step.freeBytes !== undefined && step.freeBytes > 0, said);
  for (const dir of ['shared/log', '.convoy/artifacts', 'releases', '.convoy-lock']) {
    assert.ok(existsSync(path.join(root, dir)), dir);
  }
  const state = parseInspect(said);
  assert.match(state.lockOwner ?? '', new RegExp(owner.token));
  // The conf is read last: nothing the step adds may end up in it.
  assert.equal(state.conf, null);
  // Taken again: held (by this very owner), said as such.
  const again = sh(lockStep(root));
  assert.equal(parseLockAnswer(again).locked, false);
});

test(
  'the lock step stops before the lock where the login cannot make the root',
  { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false },
  () => {
    const parent = path.join(tmp, 'locked-parent');
    mkdirSync(parent);
    chmodSync(parent, 0o555);
    const said = sh(lockStep(path.join(parent, 'web')));
    assert.equal(parseLockStep(said).rootWritable, false);
    assert.equal(parseLockAnswer(said).locked, false);
    assert.equal(existsSync(path.join(parent, 'web')), false);
  },
);

test('parseLockStep without its lines: everything writable, free space unknown', () => {
  assert.deepEqual(parseLockStep('motd\n'), { rootWritable: true, logDirWritable: true, freeBytes: undefined });
  const line = '---CONVOY-STEP--- free /dev/sda1 100 50 2048 3% /\n---CONVOY-STEP--- logdir-not-writable';
  assert.deepEqual(parseLockStep(line), { rootWritable: true, logDirWritable: false, freeBytes: 2048 * 1024 });
});

test('the close step prunes, records and unlocks; a prune that fails still unlocks and says why', () => {
  const root = path.join(tmp, 'close');
  const paths = appPaths(root, tmp, 'web', '.conf');
  sh(lockStep(root));
  const doomed = path.join(root, 'releases', 'old');
  mkdirSync(doomed, { recursive: true });
  const record = `printf '%s\\n' done >> ${path.join(root, 'record')}`;
  const ok = sh(closeStepScript({ prune: `rm -rf ${doomed}`, record, unlock: unlockCommand(paths, owner) }));
  assert.equal(pruneFailure(ok), undefined);
  assert.equal(existsSync(doomed), false);
  assert.equal(existsSync(paths.lockDir), false);
  assert.equal(readFileSync(path.join(root, 'record'), 'utf8'), 'done\n');

  sh(lockStep(root));
  const failing = sh(
    closeStepScript({ prune: 'echo gone\necho cannot remove it >&2\nfalse', unlock: unlockCommand(paths, owner) }),
  );
  assert.equal(pruneFailure(failing), 'cannot remove it');
  assert.equal(existsSync(paths.lockDir), false);
  assert.equal(closeStepScript({ unlock: 'true' }), 'true');
});

test('verify and store: the expected digest is stored 0644 under its name, another is said and left', () => {
  const file = path.join(tmp, 'a.tar.partial');
  const cached = path.join(tmp, 'a.tar');
  writeFileSync(file, 'payload', { mode: 0o600 });
  const sha = createHash('sha256').update('payload').digest('hex');
  const wrong = sh(verifyAndStoreScript(file, cached, '0'.repeat(64)));
  assert.deepEqual(parseVerifyAndStore(wrong), { sha256: sha, stored: false });
  assert.equal(existsSync(cached), false);
  const right = sh(verifyAndStoreScript(file, cached, sha));
  assert.deepEqual(parseVerifyAndStore(right), { sha256: sha, stored: true });
  assert.equal(existsSync(file), false);
  assert.equal(readFileSync(cached, 'utf8'), 'payload');
  assert.equal(execFileSync('stat', ['-c', '%a', cached], { encoding: 'utf8' }).trim(), '644');
  // A file that is not there: the step fails (its exit code), nothing stored.
  assert.throws(() => sh(verifyAndStoreScript(file, cached, sha)), /Command failed/);
});
