// `convoy history`: the one read per host (run here with sh on a temporary root), the merge of the hosts' records into
// one row per run and app, and the hosts whose `current` disagrees with the others'.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { AppState } from '../../../src/deploy/app-state.ts';
import type { HostHistory } from '../../../src/deploy/history.ts';
import {
  currentAgreement,
  historyReadCommand,
  mergeHistory,
  outcomeSummary,
  parseHistoryRead,
  whoText,
} from '../../../src/deploy/history.ts';
import type { RecordEntry } from '../../../src/deploy/record.ts';

function entry(fields: Partial<RecordEntry> & Pick<RecordEntry, 'run' | 'at' | 'outcome'>): RecordEntry {
  return {
    v: 1,
    action: 'deploy',
    app: 'web',
    release: 'R1',
    by: { login: 'root', user: 'alice', machine: 'laptop', pid: 1 },
    ...fields,
  };
}

const state = (current: string | undefined, record: RecordEntry[]): AppState => ({
  current,
  lockOwner: undefined,
  record,
});
const host = (name: string, apps: Record<string, AppState>): HostHistory => ({
  host: name,
  apps: new Map(Object.entries(apps)),
});

test('one read per host: every app in its own subshell, parsed back per app (a missing root reads as nothing)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-history-'));
  try {
    const root = path.join(dir, "my app's root");
    mkdirSync(path.join(root, '.convoy'), { recursive: true });
    mkdirSync(path.join(root, 'releases', 'R2'), { recursive: true });
    symlinkSync(path.join(root, 'releases', 'R2'), path.join(root, 'current'));
    const e = entry({ run: 'a', at: '2026-12-01T10:00:00.000Z', outcome: 'verified', release: 'R2' });
    writeFileSync(path.join(root, '.convoy', 'deploys.jsonl'), `${JSON.stringify(e)}\n`);
    const script = historyReadCommand([
      { name: 'web', root },
      { name: 'api', root: path.join(dir, 'absent') },
    ]);
    const read = parseHistoryRead(`motd\n${execFileSync('sh', ['-c', script], { encoding: 'utf8' })}`);
    assert.deepEqual([...read.keys()], ['web', 'api']);
    assert.equal(read.get('web')?.current, 'R2');
    assert.deepEqual(read.get('web')?.record, [e]);
    assert.deepEqual(read.get('api'), { current: undefined, lockOwner: undefined, record: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('entries of one run on several hosts are one row: earliest time, each host by its last outcome', () => {
  const rows = mergeHistory(
    [
      host('web1', {
        web: state('R2', [
          entry({ run: 'a', at: '2026-12-01T10:00:05.000Z', outcome: 'verified', commit: 'c'.repeat(40) }),
          entry({ run: 'b', at: '2026-12-02T10:00:01.000Z', outcome: 'ran-once', release: 'R2' }),
          entry({ run: 'b', at: '2026-12-02T10:00:09.000Z', outcome: 'verified', release: 'R2' }),
        ]),
      }),
      host('web2', {
        web: state('R1', [
          entry({ run: 'a', at: '2026-12-01T10:00:02.000Z', outcome: 'verified', by: by('alice', 'deploy') }),
          entry({ run: 'b', at: '2026-12-02T10:00:03.000Z', outcome: 'reverted', release: 'R1', dirty: true }),
        ]),
      }),
    ],
    { limit: 20 },
  );
  assert.deepEqual(
    rows.map((r) => [r.run, r.at, r.releases, r.hosts, outcomeSummary(r.outcomes)]),
    [
      ['b', '2026-12-02T10:00:01.000Z', ['R2', 'R1'], ['web1', 'web2'], 'verified on 1, reverted on 1'],
      ['a', '2026-12-01T10:00:02.000Z', ['R1'], ['web1', 'web2'], 'verified on 2'],
    ],
  );
  assert.equal(rows[1]?.commit, 'c'.repeat(40));
  assert.equal(rows[0]?.dirty, true);
  assert.equal(rows[1]?.dirty, undefined);
  assert.equal(whoText(rows[1]!), 'alice (as root, deploy)');
  assert.equal(whoText({ user: 'root', logins: ['root'] }), 'root');
});

function by(user: string, login: string): RecordEntry['by'] {
  return { login, user, machine: 'ci', pid: 2 };
}

test('newest first, -n keeps the newest, --deploys drops start/stop/restart/remove; runs are per app', () => {
  const hosts = [
    host('h1', {
      web: state('R1', [
        entry({ run: 'a', at: '2026-12-01T01:00:00.000Z', outcome: 'verified' }),
        entry({ run: 'b', at: '2026-12-01T02:00:00.000Z', outcome: 'stopped', action: 'stop' }),
        entry({ run: 'c', at: '2026-12-01T03:00:00.000Z', outcome: 'verified', action: 'rollback' }),
        // Another app's entry in this record is not this app's history.
        entry({ run: 'z', at: '2026-12-01T09:00:00.000Z', outcome: 'verified', app: 'api' }),
      ]),
      api: state('R9', [entry({ run: 'a', at: '2026-12-01T01:00:01.000Z', outcome: 'verified', app: 'api' })]),
    }),
  ];
  const all = mergeHistory(hosts, { limit: 20 });
  assert.deepEqual(
    all.map((r) => `${r.run}:${r.app}:${r.action}`),
    ['c:web:rollback', 'b:web:stop', 'a:api:deploy', 'a:web:deploy'],
  );
  assert.deepEqual(
    mergeHistory(hosts, { limit: 2, deploysOnly: true }).map((r) => r.run + r.app),
    ['cweb', 'aapi'],
  );
});

test("hosts whose current differs from most hosts' are named; hosts and apps that never had it are left out", () => {
  const e = entry({ run: 'a', at: '2026-12-01T01:00:00.000Z', outcome: 'verified' });
  const agreement = currentAgreement([
    host('h1', { web: state('R2', [e]), api: state(undefined, []) }),
    host('h2', { web: state('R2', [e]), api: state(undefined, []) }),
    host('h3', { web: state('R1', [e]), api: state(undefined, []) }),
    host('h4', { web: state(undefined, [e]), api: state(undefined, []) }),
  ]);
  assert.deepEqual(agreement, [
    {
      app: 'web',
      release: 'R2',
      hosts: ['h1', 'h2'],
      differing: [
        { host: 'h3', release: 'R1' },
        { host: 'h4', release: undefined },
      ],
    },
  ]);
  // A tie goes to the newest release id (ids begin with their time).
  const tie = currentAgreement([host('h1', { web: state('2026A', [e]) }), host('h2', { web: state('2026B', [e]) })]);
  assert.equal(tie[0]?.release, '2026B');
});
