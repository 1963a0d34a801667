// Shared paths and templates (docs/tasks.md, "shared" and "templates"), on 2 real hosts (127.0.30.x): a missing
// shared file fails staging with its name and switches no host; what the app writes into a shared dir survives two
// deploys and a rollback; the artifact's own copy of a shared dir is replaced by the link; a template is rendered per
// host with a host variable and a secret (0640, the login's), the secret in no output and no --dry-run.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

// Each start of the program appends a line to a file in the shared dir, through the release's link.
const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'keeper',
  root: '/srv/keeper',
  artifact: 'build/keeper',
  programs: {
    web: {
      command: "/bin/sh -c 'echo started-$(cat VERSION) >> uploads/starts.log && cat config/local.json >> uploads/starts.log && exec /bin/sleep 3600'",
      startsecs: 1,
    },
  },
  shared: { dirs: ['uploads', 'var/cache'], files: ['config/local.json'] },
  templates: { 'config/app.json': 'deploy/app.json.tmpl' },
  secrets: { DB_PASSWORD: { env: 'CONVOY_TEST_DB_PASSWORD' } },
});
`;

interface Result {
  host: string;
  result: string;
  release: string;
  error?: string;
}

describe('shared dirs and files, templates per host, 2 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;
  let dbPassword = 'Shared-DB-pw-4e1f';

  const run = (...args: string[]): CliResult =>
    convoy(['-i', inventory, ...args], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1', CONVOY_TEST_DB_PASSWORD: dbPassword },
    });
  const results = (r: CliResult) => jsonLines<Result>(r.stdout).results;
  const onHosts = (command: string) => fleet.addresses.map((a) => openssh(fleet, a, command).stdout);
  const artifact = (version: string) => {
    const dir = path.join(project, 'build', 'keeper');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'uploads'), { recursive: true });
    mkdirSync(path.join(dir, 'config'), { recursive: true });
    writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
    // The artifact's own copies: replaced in the release by the link and the rendered file.
    writeFileSync(path.join(dir, 'uploads', 'from-artifact.txt'), 'release copy\n');
    writeFileSync(path.join(dir, 'config', 'app.json'), '{"sample":true}\n');
  };

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.30.1' });
    project = userProject('shared');
    writeFileSync(path.join(project, 'tasks', 'keeper.ts'), task);
    mkdirSync(path.join(project, 'deploy'));
    writeFileSync(
      path.join(project, 'deploy', 'app.json.tmpl'),
      '{"host":"{{host}}","color":"{{color}}","db":"{{secret.DB_PASSWORD}}"}\n',
    );
    artifact('v1');
    inventory = path.join(project, 'convoy.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = convoy\nsudo = true\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:k${i + 1}]\naddress = ${a}\ncolor = color-${i + 1}\n`).join('\n'),
    );
  });
  after(() => fleet?.down());

  test('a missing shared file fails staging, naming it; no host switches, nothing half-staged is left', () => {
    const first = run('deploy', 'all', 'keeper', '--json');
    assert.notEqual(first.code, 0, first.stdout + first.stderr);
    for (const r of results(first)) {
      assert.equal(r.result, 'failed', JSON.stringify(r));
      assert.match(String(r.error), /missing shared file: \/srv\/keeper\/shared\/config\/local\.json/);
    }
    // One host has it now: the other still stops the whole deploy before anything switches.
    openssh(fleet, fleet.addresses[0]!, `echo '{"k":1}' > /srv/keeper/shared/config/local.json`, 'convoy');
    const second = run('deploy', 'all', 'keeper', '--json');
    assert.notEqual(second.code, 0, second.stdout + second.stderr);
    const byHost = Object.fromEntries(results(second).map((r) => [r.host, r]));
    assert.match(String(byHost.k2?.error), /missing shared file: \/srv\/keeper\/shared\/config\/local\.json/);
    assert.notEqual(byHost.k1?.result, 'deployed');
    for (const said of onHosts('ls /srv/keeper/releases 2>/dev/null')) assert.doesNotMatch(said, /\.partial/, said);
    assert.deepEqual(
      onHosts('readlink /srv/keeper/current || echo none').map((s) => s.trim()),
      ['none', 'none'],
    );
    assert.deepEqual(
      onHosts('stat -c "%U %a" /srv/keeper/shared/uploads /srv/keeper/shared/var/cache /srv/keeper/shared/config'),
      ['convoy 755\nconvoy 755\nconvoy 755\n', 'convoy 755\nconvoy 755\nconvoy 755\n'],
    );
  });

  test('links replace the artifact copies; the template is rendered per host, 0640, the secret in no output', () => {
    openssh(fleet, fleet.addresses[1]!, `echo '{"k":2}' > /srv/keeper/shared/config/local.json`, 'convoy');
    const dry = run('deploy', 'all', 'keeper', '--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.ok(!(dry.stdout + dry.stderr).includes(dbPassword), '--dry-run holds the secret');
    const r = run('deploy', 'all', 'keeper', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(dbPassword), '--json holds the secret');
    assert.deepEqual(
      results(r).map((x) => x.result),
      ['deployed', 'deployed'],
    );
    const said = onHosts(
      'cd /srv/keeper/current && readlink uploads var/cache config/local.json && stat -c "%U %a" config/app.json && cat config/app.json && ls uploads',
    );
    said.forEach((text, i) => {
      assert.equal(
        text,
        '../../shared/uploads\n../../../shared/var/cache\n../../../shared/config/local.json\n' +
          `convoy 640\n{"host":"k${i + 1}","color":"color-${i + 1}","db":"${dbPassword}"}\nstarts.log\n`,
      );
    });
  });

  test('what the app writes into a shared dir survives two deploys and a rollback', () => {
    for (const version of ['v2', 'v3']) {
      artifact(version);
      const r = run('deploy', 'all', 'keeper');
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const back = run('rollback', 'all', 'keeper', '--json');
    assert.equal(back.code, 0, back.stdout + back.stderr);
    const logs = onHosts('cat /srv/keeper/current/uploads/starts.log; cat /srv/keeper/current/VERSION');
    logs.forEach((text, i) => {
      const local = `{"k":${i + 1}}`;
      assert.equal(text, ['v1', 'v2', 'v3', 'v2'].map((v) => `started-${v}\n${local}\n`).join('') + 'v2\n');
    });
    // Every release links the same shared dir; none holds a copy of it.
    for (const said of onHosts('for r in /srv/keeper/releases/*; do readlink "$r/uploads"; done | sort -u'))
      assert.equal(said, '../../shared/uploads\n');
  });

  test('a template with a name no host defines, or a missing template file, stops the run before any connection: exit 2', () => {
    const tmpl = path.join(project, 'deploy', 'app.json.tmpl');
    writeFileSync(tmpl, '{"a":"{{colour}}","b":"{{secret.DB_PASWORD}}"}\n');
    const bad = run('deploy', 'all', 'keeper');
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.equal(bad.stdout, '', 'no host was contacted');
    assert.match(
      bad.stderr,
      /app 'keeper' on k1: templates\.config\/app\.json \(deploy\/app\.json\.tmpl\): \{\{colour\}\} is not defined \(did you mean \{\{color\}\}\?\)/,
    );
    rmSync(tmpl);
    const missing = run('deploy', 'all', 'keeper');
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /app 'keeper': templates\.config\/app\.json: \S+\/deploy\/app\.json\.tmpl not found/);
    writeFileSync(tmpl, '{"host":"{{host}}","color":"{{color}}","db":"{{secret.DB_PASSWORD}}"}\n');
  });

  test('changing only a secret makes a new release (the dry run says so without the value)', () => {
    dbPassword = 'Shared-DB-pw-ROTATED-77aa';
    const dry = run('deploy', 'all', 'keeper', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.ok(!dry.stdout.includes(dbPassword));
    const current = onHosts('readlink /srv/keeper/current').map((s) => s.trim().replace('releases/', ''));
    results(dry).forEach((x, i) => assert.notEqual(x.release, current[i], 'a new release'));
  });
});
