// Run-once and batch hooks on 3 real hosts (docs/tasks.md, "hooks"): a migration runs on exactly one host per deploy
// (a counter file the whole fleet shares), its failure leaves every host on the old release, and batch hooks on this
// machine see each batch's hosts in order.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

interface Result {
  host: string;
  result: string;
  release?: string;
  error?: string;
  ranOnce?: string;
}

describe('run-once and batch hooks on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;
  /** Seen by every host (sandbox hosts have their own /tmp and /srv, not /var/tmp). */
  let shared: string;
  const controllerLog = () => path.join(project, 'batches.log');
  const migrations = () => readFileSync(path.join(shared, 'migrations'), 'utf8').split('\n').filter(Boolean);
  const deploy = () => {
    const r = convoy(['-i', inventory, '--json', 'deploy', 'web', 'hello'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    });
    return { code: r.code, out: r.stdout + r.stderr, lines: jsonLines<Result>(r.stdout) };
  };
  const writeApp = (version: string, runOnce: string, batchHooks?: { before: string; after: string }) => {
    const dir = path.join(project, 'build', 'hello');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
    const log = controllerLog();
    writeFileSync(
      path.join(project, 'tasks', 'hello.ts'),
      `import { defineApp } from 'convoy';
export default defineApp({
  name: 'hello',
  root: '/srv/hello',
  artifact: 'build/hello',
  programs: { web: { command: '/bin/sleep 3600' } },
  rolling: { batch: 2 },
  hooks: {
    beforeSwitchOnce: ${runOnce},
    beforeBatch: ${batchHooks?.before ?? `{ local: 'echo "before $CONVOY_BATCH $CONVOY_BATCH_HOSTS / $CONVOY_BATCH_ADDRESSES" >> ${log}' }`},
    afterBatch: ${batchHooks?.after ?? `{ local: 'echo "after $CONVOY_BATCH $CONVOY_BATCH_HOSTS / $CONVOY_BATCH_ADDRESSES" >> ${log}; echo put back' }`},
  },
});
`,
    );
  };
  const current = (i: number) => openssh(fleet, fleet.addresses[i]!, 'readlink /srv/hello/current').stdout.trim();
  const record = (i: number) =>
    openssh(fleet, fleet.addresses[i]!, 'cat /srv/hello/.convoy/deploys.jsonl')
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { outcome: string; hook?: string; release?: string; error?: string });

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.31.1' });
    project = userProject('day-two-hooks');
    shared = mkdtempSync('/var/tmp/convoy-day-two-');
    inventory = path.join(project, 'fleet.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
        `\n[group:web]\nhosts = h[1:3]\n\n[group:db]\nhosts = h2\n`,
    );
  });
  after(() => {
    fleet?.down();
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  test('a run-once migration runs on exactly one host; batch hooks see each batch in order', () => {
    writeApp('1', `'echo {{host}} "$CONVOY_RELEASE" "$PWD" >> ${shared}/migrations'`);
    const r = deploy();
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(
      r.lines.results.map((x) => [x.host, x.result, x.ranOnce]),
      [
        ['h1', 'deployed', 'beforeSwitchOnce'],
        ['h2', 'deployed', undefined],
        ['h3', 'deployed', undefined],
      ],
    );
    const release = r.lines.results[0]!.release!;
    assert.deepEqual(migrations(), [`h1 ${release} /srv/hello/releases/${release}`]);
    assert.deepEqual(r.lines.summary.ranOnce, [{ host: 'h1', app: 'hello', hook: 'beforeSwitchOnce' }]);
    const said = r.lines.records.find((e) => e.type === 'step' && e.step === 'hello: beforeSwitchOnce');
    assert.equal(said?.host, 'h1', r.out);
    const [a1, a2, a3] = fleet.addresses;
    assert.deepEqual(readFileSync(controllerLog(), 'utf8').split('\n').filter(Boolean), [
      `before 1 h1 h2 / ${a1} ${a2}`,
      `after 1 h1 h2 / ${a1} ${a2}`,
      `before 2 h3 / ${a3}`,
      `after 2 h3 / ${a3}`,
    ]);
    assert.ok(
      r.lines.records.some((e) => e.type === 'note' && e.text === '[afterBatch 1] put back'),
      r.out,
    );
    const ran = record(0).filter((e) => e.outcome === 'ran-once');
    assert.deepEqual(
      ran.map((e) => [e.hook, e.release]),
      [['beforeSwitchOnce', release]],
    );
    assert.equal(record(1).filter((e) => e.outcome === 'ran-once').length, 0);
  });

  test('a failing migration (on the named group db) switches nothing: every host stays on the old release', () => {
    const before = fleet.addresses.map((_, i) => current(i));
    rmSync(controllerLog());
    writeApp(
      '2',
      `{ command: 'echo {{host}} failed >> ${shared}/migrations; echo no such table >&2; exit 3', host: 'db' }`,
    );
    const r = deploy();
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(
      r.lines.results.map((x) => [x.host, x.result]),
      [
        ['h1', 'skipped'],
        ['h2', 'failed'],
        ['h3', 'skipped'],
      ],
    );
    assert.match(r.lines.results[1]!.error!, /beforeSwitchOnce failed: .*no such table/);
    assert.match(r.lines.results[0]!.error!, /not switched: beforeSwitchOnce failed on h2/);
    assert.deepEqual(
      fleet.addresses.map((_, i) => current(i)),
      before,
    );
    assert.deepEqual(migrations().slice(1), ['h2 failed']);
    assert.equal(readFileSync(controllerLog(), { encoding: 'utf8', flag: 'a+' }), '', 'no batch started');
    const failed = record(1).filter((e) => e.hook === 'beforeSwitchOnce');
    assert.deepEqual(
      failed.map((e) => e.outcome),
      ['failed'],
    );
    for (const i of [0, 1, 2]) {
      const lock = openssh(fleet, fleet.addresses[i]!, 'test -e /srv/hello/.convoy-lock && echo held || echo free');
      assert.equal(lock.stdout.trim(), 'free');
    }
  });

  test('remote batch hooks run on each host of the batch; a failing afterBatch sends the batch back as a failed gate', () => {
    const before = fleet.addresses.map((_, i) => current(i));
    writeApp('3', `'true'`, {
      before: `{ remote: 'echo {{host}} "$CONVOY_BATCH" "$PWD" >> ${shared}/remote' }`,
      after: `{ local: 'echo lb refused >&2; exit 4' }`,
    });
    const r = deploy();
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(
      r.lines.results.map((x) => [x.host, x.result]),
      [
        ['h1', 'reverted'],
        ['h2', 'reverted'],
        ['h3', 'skipped'],
      ],
    );
    assert.match(
      r.lines.results[0]!.error!,
      /afterBatch hook failed: afterBatch 1 \(on this machine\) exited with 4: lb refused/,
    );
    assert.deepEqual(
      fleet.addresses.map((_, i) => current(i)),
      before,
    );
    const staged = r.lines.records.find((e) => e.type === 'step' && e.step === 'hello: staged' && e.host === 'h1');
    const release = String(staged?.detail);
    assert.deepEqual(readFileSync(path.join(shared, 'remote'), 'utf8').split('\n').filter(Boolean).sort(), [
      `h1 1 /srv/hello/releases/${release}`,
      `h2 1 /srv/hello/releases/${release}`,
    ]);
  });

  test('restart --rolling runs the batch hooks of the app it names, batch by batch', () => {
    rmSync(controllerLog(), { force: true });
    writeApp('1', `'true'`);
    const r = convoy(['-i', inventory, 'restart', 'web', 'hello', '--rolling', '2'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[afterBatch 2\] put back$/m);
    const [a1, a2, a3] = fleet.addresses;
    assert.deepEqual(readFileSync(controllerLog(), 'utf8').split('\n').filter(Boolean), [
      `before 1 h1 h2 / ${a1} ${a2}`,
      `after 1 h1 h2 / ${a1} ${a2}`,
      `before 2 h3 / ${a3}`,
      `after 2 h3 / ${a3}`,
    ]);
  });
});
