// Shared hosts (docs/security.md, "On the hosts"): Convoy hands the login only what it created, releases belong to
// the login whatever the archive says, programs do not run as root behind a non-root login, and hooks see the path
// the release will keep.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, spawnConvoy, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

interface AppOptions {
  name: string;
  root: string;
  artifact: string;
  extra?: string;
  program?: string;
}

const appTask = ({ name, root, artifact, extra = '', program = '' }: AppOptions) => `import { defineApp } from 'convoy';

export default defineApp({
  name: '${name}',
  root: '${root}',
  artifact: '${artifact}',
  programs: { ${name}: { command: '/bin/sleep 3600', startsecs: 1${program} } },
  ${extra}
});
`;

describe('hardening on shared hosts, 2 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const names = ['h1', 'h2'];

  const inventory = (user: string) => {
    const file = path.join(project, `${user}.ini`);
    const sudo = user === 'root' ? '' : 'sudo = true\n';
    writeFileSync(
      file,
      `[defaults]\nuser = ${user}\n${sudo}identity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:${names[i]}]\naddress = ${a}\n`).join('\n'),
    );
    return file;
  };
  const deploy = (user: string, app: AppOptions, ...flags: string[]): CliResult => {
    writeFileSync(path.join(project, 'tasks', 'app.ts'), appTask(app));
    return convoy(['-i', inventory(user), 'deploy', 'all', app.name, ...flags], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
  };
  const onHosts = (command: string) => fleet.addresses.map((a) => openssh(fleet, a, command).stdout.trim());
  const directoryArtifact = (name: string) => {
    const dir = path.join(project, 'build', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'VERSION'), `${name}\n`);
    return `build/${name}`;
  };

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.22.1' });
    project = userProject('hardening');
  });
  after(() => {
    fleet?.down();
  });

  test('an existing directory the login cannot write is refused, never handed over (chown) to the login', () => {
    const before = onHosts('stat -c "%U:%G %a" /opt /var/log/supervisor');
    const opt = deploy('convoy', { name: 'inopt', root: '/opt', artifact: directoryArtifact('inopt') });
    assert.equal(opt.code, 1, opt.stdout + opt.stderr);
    assert.match(opt.stdout, /\/opt exists and the login convoy cannot write it/);
    const logs = deploy('convoy', {
      name: 'syslogs',
      root: '/srv/syslogs',
      artifact: directoryArtifact('syslogs'),
      extra: "logDir: '/var/log/supervisor',",
    });
    assert.equal(logs.code, 1, logs.stdout + logs.stderr);
    assert.match(logs.stdout, /\/var\/log\/supervisor exists and the login convoy cannot write it/);
    assert.deepEqual(onHosts('stat -c "%U:%G %a" /opt /var/log/supervisor'), before, 'still root-owned, same modes');
  });

  test("a directory Convoy creates for the login is the login's (0755); the parents it had to create stay root's", () => {
    const r = deploy('convoy', { name: 'fresh', root: '/srv/deep/fresh', artifact: directoryArtifact('fresh') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const said of onHosts('stat -c "%n %U:%G %a" /srv/deep /srv/deep/fresh'))
      assert.equal(said, '/srv/deep root:root 755\n/srv/deep/fresh convoy:convoy 755');
  });

  test("a tarball's owners and modes are not kept: the release belongs to the login, nothing world-writable", () => {
    const src = path.join(project, 'tarsrc');
    mkdirSync(path.join(src, 'bin'), { recursive: true });
    writeFileSync(path.join(src, 'bin', 'run'), '#!/bin/sh\n');
    writeFileSync(path.join(src, 'VERSION'), 'tar\n');
    const tar = spawnSync(
      'tar',
      [
        '--owner=1001',
        '--group=1001',
        '--mode=0777',
        '-czf',
        path.join(project, 'build', 'app.tar.gz'),
        '-C',
        src,
        '.',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(tar.status, 0, tar.stderr);
    const r = deploy('root', { name: 'tarred', root: '/srv/tarred', artifact: 'build/app.tar.gz' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const said of onHosts('cd /srv/tarred/current/ && stat -c "%n %U %a" VERSION bin bin/run'))
      assert.equal(said, 'VERSION root 755\nbin root 755\nbin/run root 755');
  });

  test('programs behind a non-root login run as that login; a root login runs them as root unless a user is declared', () => {
    const pid = 'supervisorctl pid';
    const asLogin = deploy('convoy', { name: 'mine', root: '/srv/mine', artifact: directoryArtifact('mine') });
    assert.equal(asLogin.code, 0, asLogin.stdout + asLogin.stderr);
    assert.deepEqual(onHosts(`ps -o user= -p $(${pid} mine:mine)`), ['convoy', 'convoy']);
    const asRoot = deploy('root', { name: 'rooted', root: '/srv/rooted', artifact: directoryArtifact('rooted') });
    assert.equal(asRoot.code, 0, asRoot.stdout + asRoot.stderr);
    assert.deepEqual(onHosts(`ps -o user= -p $(${pid} rooted:rooted)`), ['root', 'root']);
    const declared = deploy('root', {
      name: 'declared',
      root: '/srv/declared',
      artifact: directoryArtifact('declared'),
      program: ", user: 'nobody'",
    });
    assert.equal(declared.code, 0, declared.stdout + declared.stderr);
    assert.deepEqual(onHosts(`ps -o user= -p $(${pid} declared:declared)`), ['nobody', 'nobody']);
  });

  test('afterUpload runs in the directory the release keeps (not a .partial that is renamed after it)', () => {
    const r = deploy('root', {
      name: 'hooked',
      root: '/srv/hooked',
      artifact: directoryArtifact('hooked'),
      extra: "hooks: { afterUpload: 'pwd > where' },",
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const release = jsonLines<{ release: string }>(
      convoy(['-i', inventory('root'), 'deploy', 'all', 'hooked', '--json'], {
        cwd: project,
        env: { HOME: project, SSH_AUTH_SOCK: '' },
      }).stdout,
    ).results[0]?.release;
    assert.ok(release);
    assert.deepEqual(onHosts('cat /srv/hooked/current/where'), [
      `/srv/hooked/releases/${release}`,
      `/srv/hooked/releases/${release}`,
    ]);
    assert.deepEqual(onHosts('ls /srv/hooked/releases | grep -c -v "^2" || true'), ['0', '0'], 'no leftovers');
  });
  test("an administrator's conf is never replaced without --adopt (exit 2, nothing touched); adopting keeps a backup", () => {
    const admin = '[program:redis]\ncommand=/bin/sleep 3601\n';
    const conf = '/etc/supervisor/conf.d/redis.conf';
    for (const a of fleet.addresses) {
      const r = openssh(fleet, a, `printf '%s' '${admin}' > ${conf} && supervisorctl update >/dev/null && sleep 1.5`);
      assert.equal(r.code, 0, r.stderr);
    }
    const pids = onHosts('supervisorctl pid redis');
    const refused = deploy('convoy', { name: 'redis', root: '/srv/redis', artifact: directoryArtifact('redis') });
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /h1: \/etc\/supervisor\/conf\.d\/redis\.conf was not written by Convoy/);
    assert.match(refused.stderr, /h2: \/etc\/supervisor\/conf\.d\/redis\.conf was not written by Convoy/);
    assert.deepEqual(onHosts(`cat ${conf}; test -e /srv/redis && echo staged`), [admin.trim(), admin.trim()]);
    assert.deepEqual(onHosts('supervisorctl pid redis'), pids, "the administrator's program kept running");

    const adopted = deploy(
      'convoy',
      { name: 'redis', root: '/srv/redis', artifact: directoryArtifact('redis') },
      '--adopt',
    );
    assert.equal(adopted.code, 0, adopted.stdout + adopted.stderr);
    for (const said of onHosts(
      `head -n 1 ${conf}; stat -c '%U:%G %a' ${conf}; cat /srv/redis/.convoy/adopted/redis.conf.*`,
    ))
      assert.equal(
        said,
        `; Generated by Convoy for app 'redis'; edits here are overwritten by the next deploy.\nroot:root 640\n${admin.trim()}`,
      );
    const again = deploy('convoy', { name: 'redis', root: '/srv/redis', artifact: directoryArtifact('redis') });
    assert.equal(again.code, 0, 'its own conf now: no --adopt needed');
  });

  test('a program another conf also defines stops the run (supervisord would merge the two sections)', () => {
    for (const a of fleet.addresses)
      openssh(fleet, a, "printf '[program:worker]\\ncommand=/bin/sleep 3602\\n' > /etc/supervisor/conf.d/admin.conf");
    try {
      const r = deploy('convoy', { name: 'worker', root: '/srv/worker', artifact: directoryArtifact('worker') });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /h1: \/etc\/supervisor\/conf\.d\/admin\.conf also defines \[program:worker\], a section of app 'worker'/,
      );
      assert.deepEqual(onHosts('test -e /srv/worker && echo staged; true'), ['', '']);
    } finally {
      for (const a of fleet.addresses) openssh(fleet, a, 'rm -f /etc/supervisor/conf.d/admin.conf');
    }
  });

  test('hook and health-check commands, and the values rendered into them, are in no argv on the host (ps)', async () => {
    const token = 'tok-in-argv-5e7b';
    const file = inventory('root');
    writeFileSync(file, readFileSync(file, 'utf8').replace('[defaults]\n', `[defaults]\ntoken = ${token}\n`));
    writeFileSync(
      path.join(project, 'tasks', 'app.ts'),
      appTask({
        name: 'argv',
        root: '/srv/argv',
        artifact: directoryArtifact('argv'),
        extra: "hooks: { afterUpload: ': {{token}}; sleep 2' }, healthcheck: { command: ': {{token}}; sleep 2' },",
      }),
    );
    const done = spawnConvoy(['-i', file, 'deploy', 'all', 'argv'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    }).closed;
    const seen: string[] = [];
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      seen.push(...onHosts('ps -eo args'));
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await done, 0);
    assert.ok(
      seen.some((ps) => ps.includes('sleep 2')),
      'the hooks and checks were seen running',
    );
    assert.ok(!seen.some((ps) => ps.includes(token)), 'a templated value was in an argv');
  });

  test('login shells that are not POSIX (fish, tcsh): deploy, hooks, health checks, prune and rollback run under sh', () => {
    // h1's logins use fish, h2's tcsh; both accounts (root's steps are sudo'd behind the convoy login here).
    const shells = ['/usr/bin/fish', '/usr/bin/tcsh'];
    fleet.addresses.forEach((a, i) =>
      assert.equal(openssh(fleet, a, `usermod -s ${shells[i]} convoy && usermod -s ${shells[i]} root`).code, 0),
    );
    try {
      const app = (version: string): AppOptions => ({
        name: 'shells',
        root: '/srv/shells',
        artifact: directoryArtifact(`shells-${version}`),
        extra:
          'hooks: { afterUpload: \'x=$(pwd) && [ -n "$x" ] 2>/dev/null && echo "$x" > where\', afterSwitch: \'true\' },' +
          " healthcheck: { command: 'test -f /srv/shells/current/where && [ $(echo 1) = 1 ]', timeout: '20s' }, keepReleases: 1,",
      });
      for (const version of ['1', '2', '3']) {
        const r = deploy('convoy', app(version), '--json');
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      assert.deepEqual(onHosts('ls /srv/shells/releases | wc -l'), ['2', '2'], 'pruned: the current and previous one');
      const as = (args: string[]) =>
        convoy(['-i', inventory('convoy'), ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
      const rollback = as(['rollback', 'all', 'shells']);
      assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
      assert.deepEqual(onHosts('cat /srv/shells/current/VERSION'), ['shells-2', 'shells-2']);
      const status = as(['status', 'all', '--json']);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      // `exec` hands its words to the login shell, as ssh does: fish and tcsh syntax, each on its own host.
      const words = ['set x fish; echo $x', 'set x = tcsh; echo $x'];
      fleet.addresses.forEach((_a, i) => {
        const r = convoy(['-i', inventory('convoy'), 'exec', names[i] ?? '', '--', words[i] ?? ''], {
          cwd: project,
          env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, i === 0 ? /fish/ : /tcsh/);
      });
    } finally {
      fleet.addresses.forEach((a) => openssh(fleet, a, 'usermod -s /bin/bash convoy; usermod -s /bin/bash root'));
    }
  });
});
