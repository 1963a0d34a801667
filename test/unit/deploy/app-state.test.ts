// What start/stop/restart read (lock, current, record) and write (an entry) of an app they drive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appStateCommand, controlEntry, parseAppState } from '../../../src/deploy/app-state.ts';
import { newLockOwner } from '../../../src/deploy/lock.ts';

const verified = { v: 1, outcome: 'verified', release: 'R1', confDigest: 'abc', run: 'x', app: 'web' };

test('the app state is read by its markers: current, a held lock, the record', () => {
  const state = parseAppState(
    `motd: current=nope\n---CONVOY-APP---\ncurrent=R1\nlock={"user":"bob"}\n---CONVOY-RECORD---\n${JSON.stringify(verified)}\n`,
  );
  assert.equal(state.current, 'R1');
  assert.equal(state.lockOwner, '{"user":"bob"}');
  assert.deepEqual(
    state.record.map((e) => e.release),
    ['R1'],
  );
  assert.deepEqual(parseAppState('---CONVOY-APP---\ncurrent=\n---CONVOY-RECORD---\n'), {
    current: undefined,
    lockOwner: undefined,
    record: [],
  });
  assert.match(appStateCommand('/srv/web app'), /readlink '\/srv\/web app\/current'/);
});

test('a restart re-verifies the current release with its conf digest; a stop is written down as stopped', () => {
  const state = parseAppState(`---CONVOY-APP---\ncurrent=R1\n---CONVOY-RECORD---\n${JSON.stringify(verified)}\n`);
  const by = { owner: { ...newLockOwner('convoy restart web'), user: 'alice' }, login: 'deploy' };
  const processes = [{ name: 'web:web', pid: 42, start: 1000 }];
  const restart = controlEntry('restart', 'web', state, processes, by);
  assert.deepEqual(
    [restart.action, restart.outcome, restart.release, restart.confDigest, restart.processes, restart.by.user],
    ['restart', 'verified', 'R1', 'abc', processes, 'alice'],
  );
  const stop = controlEntry('stop', 'web', state, [], by);
  assert.deepEqual([stop.outcome, stop.processes], ['stopped', undefined]);
});
