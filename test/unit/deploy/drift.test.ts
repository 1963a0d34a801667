// plan's findings: each difference a value with its kind, compared per host, never a secret's value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppNow, AppSource, Wanted } from '../../../src/deploy/drift.ts';
import {
  appFindings,
  mixedReleases,
  orphanFindings,
  pendingGroups,
  rereadFinding,
  supervisordNow,
  wantedOn,
} from '../../../src/deploy/drift.ts';
import { confDigest, groupProcesses } from '../../../src/deploy/record.ts';
import { SupervisorFault } from '../../../src/supervisor/faults.ts';
import type { RecordEntry } from '../../../src/deploy/record.ts';
import type { RemoteState } from '../../../src/deploy/remote-state.ts';
import { SecretValue } from '../../../src/secrets/values.ts';

const sha = 'ab'.repeat(32);
const release = `20261202T100000Z-${sha.slice(0, 16)}`;
const older = `20261201T100000Z-${'cd'.repeat(8)}`;
const conf = '[program:web]\ncommand=run\nenvironment=TOKEN="s3cret"\n';
const running = [{ name: 'hello:web', statename: 'RUNNING', pid: 10, start: 100 }];

function verified(rel = release, c = conf): RecordEntry {
  return {
    v: 1,
    at: '2026-12-02T10:00:00Z',
    run: 'r',
    action: 'deploy',
    outcome: 'verified',
    app: 'hello',
    release: rel,
    confDigest: confDigest(c),
    processes: [{ name: 'hello:web', pid: 10, start: 100 }],
    by: { login: 'root', user: 'me', machine: 'm', pid: 1 },
  };
}

function state(over: Partial<RemoteState> = {}): RemoteState {
  return {
    current: release,
    entries: [older, release],
    artifactCached: false,
    conf: null,
    lockOwner: undefined,
    record: [verified()],
    clashes: [],
    ...over,
  };
}

const wanted: Wanted = { release, existing: true, conf };

function now(over: Partial<AppNow> = {}): AppNow {
  return { state: state(), confPath: '/etc/supervisor/conf.d/hello.conf', conf, processes: running, ...over };
}

const kinds = (n: AppNow, w = wanted) => appFindings('web1', 'hello', n, w).map((f) => f.kind);

test('a host as it was verified, its processes never restarted: no finding', () => {
  assert.deepEqual(appFindings('web1', 'hello', now(), wanted), []);
});

test('each difference is its own kind: release, conf (with a diff without values), pending, not running, lock', () => {
  assert.deepEqual(kinds(now({ state: state({ current: older }) })), ['release']);
  const edited = appFindings('web1', 'hello', now({ conf: conf.replace('s3cret', 'other') }), wanted);
  assert.deepEqual(
    edited.map((f) => [f.kind, f.text]),
    [['conf', '/etc/supervisor/conf.d/hello.conf differs from what the tasks render (2 lines)']],
  );
  assert.match(edited[0]?.diff ?? '', /TOKEN=<value before>/);
  assert.doesNotMatch(edited[0]?.diff ?? '', /s3cret|other/);
  assert.deepEqual(kinds(now({ pending: 'changed' })), ['pending']);
  const stopped = [{ ...running[0]!, statename: 'STOPPED' }];
  assert.deepEqual(
    appFindings('web1', 'hello', now({ processes: stopped }), wanted).map((f) => f.text),
    ['hello:web is STOPPED'],
  );
  assert.deepEqual(kinds(now({ processes: [] })), ['not-running']);
  const locked = appFindings('web1', 'hello', now({ state: state({ lockOwner: 'unparsable' }) }), wanted);
  assert.deepEqual(
    locked.map((f) => f.kind),
    ['lock'],
  );
});

test('restarted since the verified deploy, or never verified: said only when nothing else differs', () => {
  const restarted = [{ ...running[0]!, pid: 11 }];
  assert.deepEqual(
    appFindings('web1', 'hello', now({ processes: restarted }), wanted).map((f) => [f.kind, f.text]),
    [['restarted', 'hello:web restarted since']],
  );
  assert.deepEqual(kinds(now({ state: state({ record: [] }) })), ['restarted']);
  assert.deepEqual(kinds(now({ state: state({ current: older, record: [] }) })), ['release']);
});

test('a host never deployed: one release finding, no conf or process noise', () => {
  const fresh = now({ state: state({ current: undefined, entries: [], record: [] }), conf: undefined, processes: [] });
  assert.deepEqual(
    appFindings('web1', 'hello', fresh, { ...wanted, existing: false }).map((f) => [f.kind, f.text]),
    [['release', `not deployed: the tasks would deploy ${release}`]],
  );
});

test('a conf the login cannot read, or missing, is a conf finding', () => {
  assert.match(appFindings('web1', 'hello', now({ conf: null }), wanted)[0]?.text ?? '', /cannot be read/);
  assert.deepEqual(kinds(now({ conf: undefined, processes: [] })), ['conf']);
});

test('wantedOn: the release deploy would choose, per host (a secret in a template makes it per host)', () => {
  const source: AppSource = {
    name: 'hello',
    root: '/srv/hello',
    artifactSha256: sha,
    secrets: [],
    renderConf: (rel) => `directory=/srv/hello/releases/${rel}\n`,
  };
  const at = new Date('2026-12-03T00:00:00Z');
  assert.deepEqual(wantedOn(source, state(), at), {
    release,
    existing: true,
    conf: `directory=/srv/hello/releases/${release}\n`,
  });
  const moved = wantedOn({ ...source, artifactSha256: 'ef'.repeat(32) }, state(), at);
  assert.equal(moved.release, `20261203T000000Z-${'ef'.repeat(8)}`);
  assert.equal(moved.existing, false);
  const template = { path: 'config.json', text: 'x', secrets: ['TOKEN'], masked: '{{secret.TOKEN}}' };
  const files = { shared: { dirs: [], files: [] }, templates: [template] };
  const secret = new SecretValue('TOKEN', 'value');
  const perHost = (key: string) =>
    wantedOn({ ...source, releaseFiles: files, secrets: [secret] }, state({ secretsKey: key }), at).release;
  assert.notEqual(perHost('1'.repeat(64)), perHost('2'.repeat(64)));
  assert.equal(perHost('1'.repeat(64)), perHost('1'.repeat(64)));
});

test('pendingGroups reads reloadConfig: [[added, changed, removed]]', () => {
  const pending = pendingGroups([[['new'], ['hello'], ['gone']]]);
  assert.deepEqual(
    [...pending],
    [
      ['new', 'added'],
      ['hello', 'changed'],
      ['gone', 'removed'],
    ],
  );
  assert.deepEqual([...pendingGroups('odd')], []);
});

test('mixed releases: hosts on the tasks release count as one, others by the release they run', () => {
  assert.equal(
    mixedReleases('hello', [
      { host: 'a', current: 'r1', wanted: true },
      { host: 'b', current: 'r2', wanted: true },
    ]),
    undefined,
  );
  const mixed = mixedReleases('hello', [
    { host: 'a', current: 'r1', wanted: true },
    { host: 'b', current: older, wanted: false },
    { host: 'c', current: undefined, wanted: false },
  ]);
  assert.deepEqual(mixed, {
    host: '-',
    app: 'hello',
    kind: 'mixed-releases',
    text: `3 releases: the tasks' release on a; ${older} on b; none on c`,
  });
});

test('orphans: marked confs of apps no task file describes', () => {
  const listing = {
    marked: [
      { file: '/etc/supervisor/conf.d/gone.conf', app: 'gone' },
      { file: '/etc/supervisor/conf.d/hello.conf', app: 'hello' },
    ],
    unreadable: [],
  };
  assert.deepEqual(
    orphanFindings('web1', listing, new Set(['hello'])).map((f) => [f.host, f.app, f.kind]),
    [['web1', 'gone', 'orphan']],
  );
});

test('supervisordNow: processes and pending groups from one multicall; a failed re-read is a finding', () => {
  const info = {
    name: 'web',
    group: 'hello',
    start: 100,
    stop: 0,
    now: 200,
    state: 20,
    statename: 'RUNNING',
    spawnerr: '',
    exitstatus: 0,
    pid: 10,
    description: 'pid 10, uptime 0:01:40',
    logfile: '',
    stdout_logfile: '',
    stderr_logfile: '',
  };
  const read = supervisordNow('web1', [
    { ok: true, value: [info] },
    { ok: true, value: [[[], ['hello'], []]] },
  ]);
  assert.deepEqual(groupProcesses(read.processes, 'hello'), running);
  assert.deepEqual([...read.pending], [['hello', 'changed']]);
  assert.deepEqual(rereadFinding('web1', read), []);
  const fault = new SupervisorFault(92, 'CANT_REREAD: section [program:x] has no command');
  const broken = supervisordNow('web1', [
    { ok: true, value: [] },
    { ok: false, fault },
  ]);
  assert.deepEqual(
    rereadFinding('web1', broken).map((f) => [f.app, f.kind]),
    [['-', 'pending']],
  );
  assert.match(rereadFinding('web1', broken)[0]?.text ?? '', /cannot re-read its confs: .*CANT_REREAD/);
  assert.throws(() => supervisordNow('web1', [{ ok: false, fault }]), SupervisorFault);
});
