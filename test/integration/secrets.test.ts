// Secrets (docs/tasks.md, "secrets"), on 3 real hosts: a value from an environment variable and one from a command
// reach each program's environment, and appear in no argv, no conf, no file a second account can read, no --json and
// no --dry-run output. Changing only a secret restarts the programs; one that cannot be read stops everything first.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'vault',
  root: '/srv/vault',
  artifact: 'build/vault',
  programs: { web: { command: '/bin/sleep 3600', startsecs: 1, environment: { MODE: 'plain-env-value-31' } } },
  secrets: {
    DB_PASSWORD: { env: 'CONVOY_TEST_DB_PASSWORD' },
    API_TOKEN: { command: 'cat api-token.txt' },
  },
});
`;

describe('secrets reach the programs and nowhere else, 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;
  let dbPassword = 'Db-pw-from-ENV-7c1e';
  const apiToken = "tok'from-COMMAND-9f8e";

  const run = (...args: string[]): CliResult =>
    convoy(['-i', inventory, ...args], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1', CONVOY_TEST_DB_PASSWORD: dbPassword },
    });
  const onHosts = (command: string) => fleet.addresses.map((a) => openssh(fleet, a, command).stdout);
  const assertNoValue = (text: string, where: string) => {
    for (const value of [dbPassword, apiToken]) assert.ok(!text.includes(value), `${where} holds a secret value`);
  };

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.23.1' });
    project = userProject('secrets');
    mkdirSync(path.join(project, 'build', 'vault'), { recursive: true });
    writeFileSync(path.join(project, 'build', 'vault', 'VERSION'), 'release-marker-5a5a\n');
    writeFileSync(path.join(project, 'tasks', 'vault.ts'), task);
    writeFileSync(path.join(project, 'api-token.txt'), `${apiToken}\n`);
    inventory = path.join(project, 'convoy.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = convoy\nsudo = true\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:s${i + 1}]\naddress = ${a}\n`).join('\n'),
    );
  });
  after(() => {
    fleet?.down();
  });

  test('a secret from the environment and one from a command reach every program; no value is anywhere else', () => {
    const dry = run('deploy', 'all', 'vault', '--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assertNoValue(dry.stdout + dry.stderr, '--dry-run');
    assert.match(dry.stdout, /environment=MODE=<value changed>/);
    assert.doesNotMatch(dry.stdout, /plain-env-value-31/, 'environment= values are not shown either');
    const r = run('deploy', 'all', 'vault', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assertNoValue(r.stdout + r.stderr, '--json');
    const environ = onHosts('tr "\\0" "\\n" < /proc/$(supervisorctl pid vault:web)/environ');
    for (const env of environ) {
      assert.match(env, new RegExp(`^DB_PASSWORD=${dbPassword}$`, 'm'));
      assert.ok(env.split('\n').includes(`API_TOKEN=${apiToken}`), env);
      assert.match(env, /^MODE=plain-env-value-31$/m);
    }
    for (const args of onHosts('ps -eo args')) assertNoValue(args, 'ps -eo args');
    for (const conf of onHosts('cat /etc/supervisor/conf.d/vault.conf')) {
      assert.match(conf, /^; secret DB_PASSWORD, version [0-9a-f]{16}$/m);
      assertNoValue(conf, 'the conf');
    }
    // Every file a second unprivileged account can read (supervisord's logs and the app's own included).
    const readable = onHosts(
      `runuser -u nobody -- sh -c 'grep -r -l -s -F -e "$1" -e "$2" /srv /etc /var /tmp /home /run /opt; true' sh ${JSON.stringify(dbPassword)} ${JSON.stringify(apiToken)}`,
    );
    assert.deepEqual(readable, ['', '', ''], 'no file readable by nobody holds a value');
    const control = onHosts(`runuser -u nobody -- grep -r -l -s -F release-marker-5a5a /srv; true`);
    for (const found of control) assert.match(found, /\/srv\/vault\/releases\/.*\/VERSION/, 'the search does read');
    for (const said of onHosts('stat -c "%U %a" /srv/vault/shared/.convoy-secrets /srv/vault/shared/.convoy-secrets/*'))
      assert.match(said, /^convoy 711\nconvoy 600\n$/);
  });

  test('changing only a secret restarts the programs, health-gated, and the dry run names it without its value', () => {
    const pids = onHosts('supervisorctl pid vault:web');
    dbPassword = 'Db-pw-ROTATED-2b9d';
    const dry = run('deploy', 'all', 'vault', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /<secret DB_PASSWORD changed>/);
    assert.doesNotMatch(dry.stdout, /<secret API_TOKEN changed>/);
    assertNoValue(dry.stdout, '--dry-run --json');
    const r = run('deploy', 'all', 'vault');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assertNoValue(r.stdout + r.stderr, 'the deploy output');
    const after = onHosts('supervisorctl pid vault:web');
    after.forEach((pid, i) => assert.notEqual(pid, pids[i], 'restarted'));
    for (const env of onHosts('tr "\\0" "\\n" < /proc/$(supervisorctl pid vault:web)/environ'))
      assert.match(env, new RegExp(`^DB_PASSWORD=${dbPassword}$`, 'm'));
    const again = run('deploy', 'all', 'vault', '--json');
    assert.match(again.stdout, /"restarted":false/, 'the same secrets restart nothing');
  });

  test('a secret that cannot be read stops the run before anything connects: exit 2, naming it and its source', () => {
    const r = convoy(['-i', inventory, 'deploy', 'all', 'vault'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /secrets\.DB_PASSWORD: the environment variable CONVOY_TEST_DB_PASSWORD is not set/);
    assert.equal(r.stdout, '', 'no host was reported on: none was contacted');
  });
});
