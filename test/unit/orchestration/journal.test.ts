// The run journal's records as values: which hosts a retry redoes, counts, interrupted runs, pruning, picking a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalRun } from '../../../src/orchestration/journal.ts';
import {
  countsOf,
  hostsToRedo,
  journalsToPrune,
  parseJournal,
  pickRun,
  wasInterrupted,
} from '../../../src/orchestration/journal.ts';

function runOf(id: string, startedAt: string, hosts: JournalRun['hosts'], ended = true): JournalRun {
  return {
    version: 1,
    id,
    command: 'deploy',
    argv: ['deploy', 'web'],
    target: 'web',
    by: 'me@here',
    startedAt,
    ...(ended ? { endedAt: startedAt, exitCode: 1 } : {}),
    hosts,
  };
}

test('a retry redoes hosts that failed, were unreachable, skipped or never reached; ok hosts are left alone', () => {
  const run = runOf('a', '2026-12-02T10:00:00.000Z', [
    { host: 'h1', state: 'ok' },
    { host: 'h2', state: 'failed' },
    { host: 'h3', state: 'unreachable' },
    { host: 'h4', state: 'skipped' },
    { host: 'h5', state: 'pending' },
  ]);
  assert.deepEqual(hostsToRedo(run), { hosts: ['h2', 'h3', 'h4', 'h5'], done: ['h1'] });
  assert.deepEqual(countsOf(run), { ok: 1, failed: 1, unreachable: 1, skipped: 1, pending: 1 });
});

test('with several apps, a host is redone when any of its apps did not end ok, and named once', () => {
  const run = runOf('a', '2026-12-02T10:00:00.000Z', [
    { host: 'h1', app: 'api', state: 'ok' },
    { host: 'h2', app: 'api', state: 'ok' },
    { host: 'h1', app: 'worker', state: 'failed' },
    { host: 'h2', app: 'worker', state: 'ok' },
  ]);
  assert.deepEqual(hostsToRedo(run), { hosts: ['h1'], done: ['h2'] });
});

test('a run is interrupted when stopped by a signal or never ended (killed outright)', () => {
  const base = runOf('a', '2026-12-02T10:00:00.000Z', []);
  assert.equal(wasInterrupted(base), false);
  assert.equal(wasInterrupted({ ...base, exitCode: 130 }), true);
  assert.equal(wasInterrupted({ ...base, exitCode: 143 }), true);
  assert.equal(wasInterrupted(runOf('b', '2026-12-02T10:00:00.000Z', [], false)), true);
});

test('pruning keeps the newest files by modification time', () => {
  const files = [
    { name: 'a.json', mtimeMs: 1 },
    { name: 'c.json', mtimeMs: 3 },
    { name: 'b.json', mtimeMs: 2 },
    { name: 'd.json', mtimeMs: 4 },
  ];
  assert.deepEqual(journalsToPrune(files, 2).sort(), ['a.json', 'b.json']);
  assert.deepEqual(journalsToPrune(files, 50), []);
});

test('a file that is not a run of this version is passed over', () => {
  assert.equal(parseJournal('{"version":1,'), undefined);
  assert.equal(parseJournal('{"version":2,"id":"x","argv":[],"hosts":[]}'), undefined);
  assert.equal(parseJournal(JSON.stringify(runOf('x', 't', [])))?.id, 'x');
});

test('picking a run: the newest by default, an id or a unique prefix, else why not', () => {
  const older = runOf('3f2a0000', '2026-12-02T10:00:00.000Z', []);
  const newer = runOf('3f2b0000', '2026-12-02T11:00:00.000Z', []);
  assert.equal(pickRun([older, newer], undefined), newer);
  assert.equal(pickRun([older, newer], '3f2a'), older);
  assert.match(pickRun([older, newer], '3f2') as string, /ambiguous: 3f2b0000, 3f2a0000/);
  assert.match(pickRun([older, newer], 'zz') as string, /no run 'zz' \(recent runs: 3f2b0000, 3f2a0000\)/);
  assert.equal(pickRun([], undefined), 'no run recorded yet');
});
