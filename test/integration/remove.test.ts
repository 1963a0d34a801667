// `convoy remove` and `convoy check <target>` on real hosts, driven through an executable inventory: the removed
// app's programs stop and its group goes, other apps keep their PIDs, foreign confs and held locks refuse, --purge
// removes the root; a conf of an app no task describes is reported orphaned.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const appTask = (name: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: '${name}',
  root: '/srv/${name}',
  artifact: 'build/${name}',
  programs: { ${name}: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

describe('remove, orphaned confs, executable inventory', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const run = (...args: string[]): CliResult =>
    convoy(['-i', './inv.sh', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command).stdout.trim();
  const pids = (i: number) => on(i, 'supervisorctl pid stay:stay other');

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.32.1' });
    project = userProject('remove');
    for (const name of ['gone', 'stay']) {
      writeFileSync(path.join(project, 'tasks', `${name}.ts`), appTask(name));
      mkdirSync(path.join(project, 'build', name), { recursive: true });
      writeFileSync(path.join(project, 'build', name, 'VERSION'), '1\n');
    }
    const ini =
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
      '\n[group:web]\nhosts = h[1:2]\n';
    // Run from its own directory, with no shell around it: a relative file it reads is beside it.
    writeFileSync(path.join(project, 'fleet.txt'), ini);
    writeFileSync(path.join(project, 'inv.sh'), '#!/bin/sh\ncat fleet.txt\n');
    chmodSync(path.join(project, 'inv.sh'), 0o755);
    for (const i of [0, 1]) {
      const r = openssh(
        fleet,
        fleet.addresses[i]!,
        "printf '[program:other]\\ncommand=/bin/sleep 3600\\n' > /etc/supervisor/conf.d/other.conf && " +
          "printf '[program:admin]\\ncommand=/bin/sleep 3600\\n' > /etc/supervisor/conf.d/admin.conf && " +
          'supervisorctl update >/dev/null && sleep 1.2 && supervisorctl pid other',
      );
      assert.match(r.stdout, /^\d+$/m, r.stderr);
    }
    for (const app of ['gone', 'stay']) {
      const r = run('deploy', 'web', app);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  });
  after(() => fleet?.down());

  test('an executable inventory drives status; its failures name the program (exit 2)', () => {
    const r = run('status', 'web');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /h2\s+stay\s+RUNNING/);
    writeFileSync(path.join(project, 'bad.sh'), '#!/bin/sh\necho "[host:x]"\necho "not a setting"\n');
    writeFileSync(path.join(project, 'fails.sh'), '#!/bin/sh\necho "token expired" >&2\nexit 3\n');
    chmodSync(path.join(project, 'bad.sh'), 0o755);
    chmodSync(path.join(project, 'fails.sh'), 0o755);
    const env = { HOME: project };
    const bad = convoy(['-i', 'bad.sh', 'hosts'], { cwd: project, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.sh:2: \[host:x\] 'not a setting' is not a setting/);
    const fails = convoy(['-i', 'fails.sh', 'status'], { cwd: project, env });
    assert.equal(fails.code, 2);
    assert.match(fails.stderr, /inventory program .*fails\.sh exited with code 3/);
    assert.match(fails.stderr, /token expired/);
    const slow = convoy(['-i', 'inv.sh', 'hosts'], { cwd: project, env: { ...env, CONVOY_INVENTORY_TIMEOUT: 'x' } });
    assert.equal(slow.code, 2);
    assert.match(slow.stderr, /CONVOY_INVENTORY_TIMEOUT: expected/);
  });

  test('check <target>: an app no task describes any more is orphaned (exit 3); without a target, no SSH', () => {
    rmSync(path.join(project, 'tasks', 'gone.ts'));
    assert.equal(run('check').code, 0);
    const r = run('check', 'web');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /h1\s+orphaned\s+gone\s+\/etc\/supervisor\/conf\.d\/gone\.conf/);
    assert.doesNotMatch(r.stdout, /orphaned\s+(stay|admin|other)/);
  });

  test('a conf Convoy did not write is refused, nothing touched (exit 2); --dry-run changes nothing', () => {
    const foreign = run('remove', 'web', 'admin');
    assert.equal(foreign.code, 2, foreign.stdout + foreign.stderr);
    assert.match(foreign.stderr, /admin\.conf was not written by Convoy/);
    assert.match(on(0, 'supervisorctl status admin'), /RUNNING/);
    const before = [pids(0), on(0, 'supervisorctl pid gone:gone')];
    const dry = run('remove', 'web', 'gone', '--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /h1\s+would remove\s+stop gone:gone RUNNING pid \d+/);
    assert.match(dry.stdout, /remove \/etc\/supervisor\/conf\.d\/gone\.conf/);
    assert.deepEqual([pids(0), on(0, 'supervisorctl pid gone:gone')], before);
  });

  test('remove: the group stops and goes, other apps keep their PIDs, the record says so', () => {
    const before = [pids(0), pids(1)];
    const r = run('--json', 'remove', 'web', 'gone');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const results = jsonLines<{ host: string; result: string; steps: string[] }>(r.stdout).results;
    assert.deepEqual(
      results.map((x) => [x.host, x.result]),
      [
        ['h1', 'removed'],
        ['h2', 'removed'],
      ],
    );
    for (const i of [0, 1]) {
      assert.equal(on(i, 'test -e /etc/supervisor/conf.d/gone.conf && echo there || echo gone'), 'gone');
      assert.doesNotMatch(on(i, 'supervisorctl status'), /gone:/);
      assert.match(on(i, 'tail -n 1 /srv/gone/.convoy/deploys.jsonl'), /"action":"remove","outcome":"removed"/);
    }
    assert.deepEqual([pids(0), pids(1)], before);
    assert.equal(run('check', 'web').code, 0);
    const again = run('remove', 'web', 'gone');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /h1\s+absent/);
  });

  test('a held lock refuses (exit 1); --purge removes the root of a described app', () => {
    const owner = JSON.stringify({ token: 't', user: 'ci', machine: 'elsewhere', pid: 1, since: 'then', command: 'x' });
    on(0, `mkdir /srv/stay/.convoy-lock && echo '${owner}' > /srv/stay/.convoy-lock/owner`);
    const held = run('remove', 'web', 'stay', '--purge');
    assert.equal(held.code, 1, held.stdout + held.stderr);
    assert.match(held.stdout + held.stderr, /locked by ci@elsewhere/);
    assert.match(on(0, 'supervisorctl status stay:stay'), /RUNNING/);
    on(0, 'rm -rf /srv/stay/.convoy-lock');
    const other = pids(0).split('\n')[1];
    const r = run('remove', 'web', 'stay', '--purge');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /purged \/srv\/stay/);
    assert.equal(on(0, 'test -e /srv/stay && echo there || echo gone'), 'gone');
    assert.equal(on(0, 'supervisorctl pid other'), other);
  });
});
