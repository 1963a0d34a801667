// `convoy plan` on real hosts: after a deploy nothing differs (exit 0) in two round trips per host, nothing written;
// a conf edited by hand, `current` pointed at an older release and a stopped program are named on exactly those
// hosts (exit 3), the conf diff without the value; a deploy brings it back to 0; an orphaned conf is listed.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'drift',
  root: '/srv/drift',
  artifact: 'build/drift',
  programs: { drift: { command: '/bin/sleep 3600', startsecs: 1, environment: { MODE: 'calm' } } },
});
`;

interface Finding {
  host: string;
  app: string;
  kind: string;
  text: string;
  diff?: string;
}

describe('plan: the drift between the hosts and the task files', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}): CliResult =>
    convoy(['-i', 'fleet.ini', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '', ...env } });
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command).stdout.trim();
  const deploy = (version: string) => {
    writeFileSync(path.join(project, 'build', 'drift', 'VERSION'), `${version}\n`);
    const r = run(['deploy', 'all', 'drift']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };
  const findings = (r: CliResult) => jsonLines(r.stdout).records.filter((x) => x.type === 'finding') as unknown[];

  before(() => {
    // The fourth host lays Supervisor out as EPEL does: another socket, `supervisord.d/*.ini`.
    fleet = startFleet({ hosts: 4, firstAddress: '127.0.34.1', flavors: 'debian,debian,debian,rhel' });
    project = userProject('plan');
    writeFileSync(path.join(project, 'tasks', 'drift.ts'), task);
    mkdirSync(path.join(project, 'build', 'drift'), { recursive: true });
    const ini =
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n');
    writeFileSync(path.join(project, 'fleet.ini'), ini);
    deploy('1');
  });
  after(() => fleet?.down());

  test('after a deploy: exit 0, two round trips per host, nothing written', () => {
    const before = on(0, 'stat -c %Y /srv/drift /srv/drift/.convoy; md5sum /srv/drift/.convoy/deploys.jsonl');
    const r = run(['--json', 'plan'], { CONVOY_COUNT_ROUND_TRIPS: '1' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(findings(r), []);
    const results = jsonLines<{ host: string; roundTrips: { exec: number; rpc: number; files: number } }>(
      r.stdout,
    ).results;
    assert.equal(results.length, 4);
    for (const x of results) assert.deepEqual(x.roundTrips, { exec: 1, rpc: 1, files: 0 }, x.host);
    assert.equal(on(0, 'stat -c %Y /srv/drift /srv/drift/.convoy; md5sum /srv/drift/.convoy/deploys.jsonl'), before);
  });

  test('a hand-edited conf, an older current, a stopped program: exactly those hosts, exit 3', () => {
    // An older release of other content (what an earlier deploy leaves, without the time of a deploy).
    const older = `20261201T000000Z-${'0'.repeat(16)}`;
    on(1, `cp -a /srv/drift/current/ /srv/drift/releases/${older} && ln -sfn releases/${older} /srv/drift/current`);
    on(0, 'sed -i \'s/MODE="calm"/MODE="frantic"/\' /etc/supervisor/conf.d/drift.conf');
    on(2, 'supervisorctl stop drift:drift');
    const r = run(['--json', 'plan', 'all', '--diff']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const found = findings(r) as Finding[];
    const kinds = (host: string) => [...new Set(found.filter((f) => f.host === host).map((f) => f.kind))].sort();
    assert.deepEqual([...new Set(found.map((f) => f.host))].sort(), ['-', 'h1', 'h2', 'h3']);
    assert.deepEqual(kinds('h1'), ['conf', 'pending']);
    assert.ok(kinds('h2').includes('release'), JSON.stringify(found));
    assert.deepEqual(kinds('h3'), ['not-running']);
    assert.deepEqual(kinds('-'), ['mixed-releases']);
    const conf = found.find((f) => f.kind === 'conf');
    assert.match(conf?.diff ?? '', /MODE=<value before>/);
    assert.doesNotMatch(r.stdout, /frantic/);
    assert.match(
      found.find((f) => f.host === 'h2' && f.kind === 'release')?.text ?? '',
      new RegExp(`runs ${older}, the tasks would deploy`),
    );
  });

  test('after a deploy it is 0 again; an orphaned conf is listed, ranked before an unreachable host', () => {
    deploy('1');
    const r = run(['plan']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    on(
      3,
      "printf '%s\\n' \"; Generated by Convoy for app 'gone'; edits here are overwritten by the next deploy.\" > /etc/supervisord.d/gone.ini",
    );
    const ini = readFileSync(path.join(project, 'fleet.ini'), 'utf8');
    writeFileSync(path.join(project, 'dead.ini'), `${ini}\n[host:dead]\naddress = 127.0.34.9\n`);
    const env = { HOME: project, SSH_AUTH_SOCK: '' };
    const orphan = convoy(['-i', 'dead.ini', '--json', 'plan'], { cwd: project, env });
    assert.equal(orphan.code, 3, orphan.stdout + orphan.stderr);
    assert.deepEqual(
      (findings(orphan) as Finding[]).map((f) => [f.host, f.app, f.kind]),
      [['h4', 'gone', 'orphan']],
    );
    const results = jsonLines<{ host: string; status: string }>(orphan.stdout).results;
    assert.equal(results.find((x) => x.host === 'dead')?.status, 'unreachable');
    // An unknown app: exit 2, before any connection.
    const unknown = run(['plan', 'all', 'nosuch']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no app named 'nosuch'/);
  });
});
