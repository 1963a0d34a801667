import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { stepScript } from '../../../src/shell/script.ts';
import {
  describeOwner,
  lockCommand,
  newLockOwner,
  ownerIsDead,
  parseLockAnswer,
  unlockCommand,
} from '../../../src/deploy/lock.ts';
import { appPaths, inspectCommand, parseInspect } from '../../../src/deploy/remote-state.ts';

const paths = appPaths('/opt/web app', '/etc/supervisor/conf.d', 'web', '.conf');

test('paths of an app on a host', () => {
  assert.deepEqual(paths, {
    root: '/opt/web app',
    releasesDir: '/opt/web app/releases',
    current: '/opt/web app/current',
    cacheDir: '/opt/web app/.convoy/artifacts',
    lockDir: '/opt/web app/.convoy-lock',
    confPath: '/etc/supervisor/conf.d/web.conf',
  });
});

test('the lock records who, where, when and what, and is taken with an atomic mkdir, paths quoted', () => {
  const owner = {
    ...newLockOwner('convoy deploy web', new Date('2026-11-25T21:00:00Z')),
    user: 'alice',
    machine: 'laptop',
    pid: 42,
    token: 'abc',
  };
  assert.equal(
    describeOwner(JSON.stringify(owner)),
    'alice@laptop (pid 42) since 2026-11-25T21:00:00.000Z running `convoy deploy web`',
  );
  assert.equal(describeOwner(''), 'an unknown owner (no owner file)');
  const cmd = lockCommand(paths, owner, false);
  assert.match(cmd, /^mkdir -p '\/opt\/web app'\nif mkdir '\/opt\/web app\/\.convoy-lock' 2>\/dev\/null; then printf/);
  assert.doesNotMatch(cmd, /rm -rf/);
  assert.match(lockCommand(paths, owner, true), /\nrm -rf '\/opt\/web app\/\.convoy-lock'\n/);
  assert.equal(
    unlockCommand(paths, owner),
    `if grep -q '"token":"abc"' '/opt/web app/.convoy-lock'/owner 2>/dev/null; then rm -rf '/opt/web app/.convoy-lock'; fi`,
  );
});

test('the inspect output is read back by its markers: rc-file chatter ignored, record parsed, conf bytes exact', () => {
  const entry = JSON.stringify({ v: 1, outcome: 'verified', release: '20261101T000000Z-aaaaaaaa' });
  const state = parseInspect(
    'entry=from a .bashrc\n---CONVOY-STATE---\ncurrent=20261101T000000Z-aaaaaaaa\nentry=20261101T000000Z-aaaaaaaa\nentry=x.partial\nartifact=1\nlock={"user":"bob"}\n' +
      'clash=/etc/supervisor/conf.d/old:web.conf:[program:a]\n' +
      `---CONVOY-RECORD---\n${entry}\n---CONVOY-CONF---\n[group:web]\nprograms=a\n`,
  );
  assert.deepEqual(state, {
    current: '20261101T000000Z-aaaaaaaa',
    entries: ['20261101T000000Z-aaaaaaaa', 'x.partial'],
    artifactCached: true,
    lockOwner: '{"user":"bob"}',
    conf: '[group:web]\nprograms=a\n',
    clashes: [{ file: '/etc/supervisor/conf.d/old:web.conf', section: '[program:a]' }],
    record: [JSON.parse(entry)],
  });
  assert.deepEqual(parseInspect('---CONVOY-STATE---\ncurrent=\n---CONVOY-RECORD---\n'), {
    current: undefined,
    entries: [],
    artifactCached: false,
    lockOwner: undefined,
    conf: null,
    record: [],
    clashes: [],
  });
});

test("the lock answer is read from its marker line, wherever a login shell's chatter puts it", () => {
  assert.deepEqual(parseLockAnswer('Last login: yesterday\nconvoy-lock: LOCKED\n'), { locked: true });
  assert.deepEqual(parseLockAnswer('motd\nconvoy-lock: HELD\n{"user":"bob"}\n'), {
    locked: false,
    owner: '{"user":"bob"}',
  });
  assert.deepEqual(parseLockAnswer('convoy-lock: HELD\n'), { locked: false, owner: '' });
  assert.match(lockCommand(paths, newLockOwner('x'), false), /echo 'convoy-lock: LOCKED'/);
});

test('a lock whose owner ran on this machine and is gone is dead; a live, reused or foreign owner is not', () => {
  const here = { machine: 'laptop', bootId: 'boot-1' };
  const owner = { ...newLockOwner('convoy deploy web'), machine: 'laptop', bootId: 'boot-1', pid: 4242, pidStart: 77 };
  assert.equal(
    ownerIsDead(owner, here, () => undefined),
    true,
    'no such process',
  );
  assert.equal(
    ownerIsDead(owner, here, () => 77),
    false,
    'the same process still runs',
  );
  assert.equal(
    ownerIsDead(owner, here, () => 99),
    true,
    'the pid was reused by another process',
  );
  assert.equal(
    ownerIsDead({ ...owner, machine: 'ci-runner' }, here, () => undefined),
    false,
    'another machine',
  );
  assert.equal(
    ownerIsDead({ ...owner, bootId: 'boot-0' }, here, () => undefined),
    false,
    'another boot: unknown',
  );
  assert.equal(
    ownerIsDead({ ...owner, bootId: undefined }, here, () => undefined),
    false,
    'an older lock: unknown',
  );
});

test('the state script under sh: current through cd -P (a link to a removed release too), record and conf bytes exact', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'convoy-state-'));
  try {
    const local = appPaths(path.join(root, 'app'), path.join(root, 'conf.d'), 'web', '.conf');
    const release = '20261101T000000Z-aaaaaaaa';
    mkdirSync(path.join(local.releasesDir, release), { recursive: true });
    mkdirSync(path.join(local.root, '.convoy'));
    mkdirSync(path.join(root, 'conf.d'));
    symlinkSync(`releases/${release}`, local.current);
    const entry = JSON.stringify({ v: 1, outcome: 'verified', release });
    writeFileSync(path.join(local.root, '.convoy', 'deploys.jsonl'), `${entry}\n`);
    writeFileSync(local.confPath, '[program:web]\ncommand=run'); // no last newline
    const read = () => {
      const r = spawnSync('sh', ['-s'], { input: stepScript(inspectCommand(local, '')), encoding: 'utf8', cwd: root });
      assert.equal(r.status, 0, r.stderr);
      return { state: parseInspect(r.stdout) };
    };
    const { state } = read();
    assert.equal(state.current, release);
    assert.deepEqual(state.entries, [release]);
    assert.equal(state.conf, '[program:web]\ncommand=run');
    assert.equal(state.record[0]?.release, release);
    rmSync(path.join(local.releasesDir, release), { recursive: true });
    rmSync(local.confPath);
    const gone = read().state;
    assert.equal(gone.current, release, 'a link to a removed release still names it');
    assert.equal(gone.conf, null);
    assert.equal(gone.record.length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
