// Deploy guarantees on the bad day (docs/deploy.md): a run cut off at any step converges on the next plain run; a
// host failing its gate sends every switched host back; SIGTERM stops in order; rollback follows the deploy record.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import {
  convoy,
  convoyBin,
  integrationSkipReason,
  openssh,
  repoRoot,
  startFleet,
  userProject,
} from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();
const port = 8086;

/** The hello app; its health check fails on a host whose name is in the release's FAIL file. */
const helloTask = (extra = '') => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'hello',
  root: '/srv/hello',
  artifact: 'build/hello',
  keepReleases: 4,
  programs: {
    web: {
      command: '/usr/bin/node server.js --host {{address}} --port {{app_port}}',
      startsecs: Number(process.env.STARTSECS ?? 1),
      environment: { ROUND: process.env.ROUND ?? '0' },
    },
  },
  healthcheck: {
    command: \`sleep \${process.env.HEALTH_SLEEP ?? 0}; ! grep -qx {{host}} {{root}}/current/FAIL && test -e {{root}}/current/VERSION\`,
    timeout: '5s',
  },
  ${extra}
});
`;

interface Result {
  host: string;
  result: string;
  release: string;
  error?: string;
}

/** A project with the hello app, an inventory for the fleet, and helpers to deploy and look at the hosts. */
function helloProject(fleet: TestFleet, name: string) {
  const project = userProject(name);
  writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask());
  const inventory = path.join(project, 'fleet.ini');
  const names = fleet.addresses.map((_, i) => `h${i + 1}`);
  writeFileSync(
    inventory,
    `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\napp_port = ${port}\n\n` +
      fleet.addresses.map((a, i) => `[host:${names[i]}]\naddress = ${a}\n`).join('\n') +
      `\n[group:web]\nhosts = ${names.join(', ')}\n`,
  );
  const env = (extra: Record<string, string>) => ({ HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1', ...extra });
  return {
    project,
    names,
    run: (args: string[], extra: Record<string, string> = {}): CliResult =>
      convoy(['-i', inventory, ...args], { cwd: project, env: env(extra) }),
    spawn: (args: string[], extra: Record<string, string> = {}) =>
      spawn(process.execPath, [convoyBin, '-i', inventory, ...args], {
        cwd: project,
        env: { ...process.env, ...env(extra) },
      }),
    artifact: (version: string, failOn: readonly string[] = [], bytes = 0) => {
      const dir = path.join(project, 'build', 'hello');
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(repoRoot, 'examples/hello/server.js'), path.join(dir, 'server.js'));
      writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
      writeFileSync(path.join(dir, 'FAIL'), failOn.map((h) => `${h}\n`).join(''));
      writeFileSync(path.join(dir, 'payload.bin'), randomBytes(bytes));
    },
  };
}

/** What the host's app answers on `/` (its VERSION), or `down`. A new connection each time. */
function version(address: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get({ host: address, port, path: '/', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve(body.trim()));
      })
      .on('error', () => resolve('down'));
  });
}

/** Every host runs `expected` under supervisord, answers it on its port, and holds no lock. */
async function assertRunning(fleet: TestFleet, expected: string | readonly string[], label: string): Promise<void> {
  for (const a of fleet.addresses) {
    const s = openssh(fleet, a, 'supervisorctl status hello:web; test -e /srv/hello/.convoy-lock && echo LOCK-LEFT');
    assert.match(s.stdout, /^hello:web\s+RUNNING/m, `${label}: ${a}: ${s.stdout}`);
    assert.doesNotMatch(s.stdout, /LOCK-LEFT/, `${label}: ${a} kept the lock`);
    const v = await version(a);
    assert.ok((typeof expected === 'string' ? [expected] : expected).includes(v), `${label}: ${a} answers ${v}`);
  }
}

describe('deploy guarantees on 5 hosts', { skip }, () => {
  let fleet: TestFleet;
  let hello: ReturnType<typeof helloProject>;
  before(() => {
    fleet = startFleet({ hosts: 5, firstAddress: '127.0.16.1' });
    hello = helloProject(fleet, 'guarantees');
    hello.artifact('A');
    const first = hello.run(['deploy', 'web']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => fleet?.down());

  test('all at once, 1 of 5 hosts fails its health check: exit 1, all 5 back on the previous release, named', async () => {
    hello.artifact('B', ['h3']);
    const r = hello.run(['--json', 'deploy', 'web']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const doc = jsonLines<Result>(r.stdout);
    assert.deepEqual(
      doc.results.map((x) => x.result),
      Array(5).fill('reverted'),
    );
    assert.deepEqual(doc.summary.reverted, hello.names);
    assert.match(doc.results[2]!.error ?? '', /health check/);
    await assertRunning(fleet, 'A', 'after the failed deploy');
  });

  test('deploy A, B, A, C, then rollback: every host on A (the release verified before C), not B', async () => {
    for (const v of ['B', 'A', 'C']) {
      hello.artifact(v);
      const r = hello.run(['deploy', 'web']);
      assert.equal(r.code, 0, `${v}: ${r.stdout}${r.stderr}`);
    }
    await assertRunning(fleet, 'C', 'after C');
    const dry = hello.run(['--json', 'rollback', 'web', '--dry-run']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const planned = jsonLines<Result>(dry.stdout).results;
    assert.ok(planned.every((x) => x.result === 'would change'));
    await assertRunning(fleet, 'C', 'a dry run changes nothing');
    const r = hello.run(['--json', 'rollback', 'web', '--rolling', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = jsonLines<Result>(r.stdout);
    assert.deepEqual(
      doc.results.map((x) => [x.result, x.release]),
      Array(5).fill(['rolled back', planned[0]!.release]),
    );
    assert.equal(doc.records.filter((e) => e.type === 'batch').length, 3, 'rollback honours --rolling');
    await assertRunning(fleet, 'A', 'after rollback');
  });

  test('an identical redeploy is unchanged only while the verified processes run; a stopped one converges', async () => {
    hello.artifact('A');
    const same = hello.run(['--json', 'deploy', 'web']);
    const results = jsonLines<Result>(same.stdout).results;
    assert.equal(same.code, 0, same.stdout + same.stderr);
    openssh(fleet, fleet.addresses[1]!, 'supervisorctl stop hello:web');
    const again = jsonLines<Result>(hello.run(['--json', 'deploy', 'web']).stdout).results;
    assert.deepEqual(
      again.map((x) => x.result),
      results.map((x, i) => (i === 1 ? 'converged' : 'unchanged')),
    );
    await assertRunning(fleet, 'A', 'after converging');
  });

  test('a restart re-verifies (the next identical deploy is unchanged); a stop is undone by the next deploy', async () => {
    const restart = hello.run(['restart', 'web', 'hello']);
    assert.equal(restart.code, 0, restart.stdout + restart.stderr);
    const after = jsonLines<Result>(hello.run(['--json', 'deploy', 'web']).stdout).results;
    assert.deepEqual(
      after.map((x) => x.result),
      Array(5).fill('unchanged'),
    );
    assert.equal(hello.run(['stop', 'web', 'hello']).code, 0);
    const restarted = jsonLines<Result>(hello.run(['--json', 'deploy', 'web']).stdout).results;
    assert.deepEqual(
      restarted.map((x) => x.result),
      Array(5).fill('converged'),
    );
    await assertRunning(fleet, 'A', 'after stop, then deploy');
  });

  test('start, stop and restart respect a deploy in progress: the locked host is refused, naming the holder', () => {
    const owner = JSON.stringify({
      token: 't',
      user: 'bob',
      machine: 'elsewhere',
      pid: 1,
      since: 'now',
      command: 'convoy deploy web',
    });
    openssh(
      fleet,
      fleet.addresses[0]!,
      `mkdir /srv/hello/.convoy-lock && printf '%s\\n' '${owner}' > /srv/hello/.convoy-lock/owner`,
    );
    try {
      const r = hello.run(['restart', 'web', 'hello']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^h1 .*hello is locked by bob@elsewhere \(pid 1\)/m);
      assert.match(r.stdout, /^5 hosts: 4 ok, 1 failed/m);
    } finally {
      openssh(fleet, fleet.addresses[0]!, 'rm -rf /srv/hello/.convoy-lock');
    }
  });

  test('SIGTERM during a rolling deploy: summary printed, exit 143, no lock left, every host on the old or new release', async () => {
    hello.artifact('D');
    const child = hello.spawn(['deploy', 'web', '--rolling', '1', '--pause', '2s']);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    while (!/^batch 2\/5/m.test(stdout)) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal(await code, 143, stdout);
    assert.match(stdout, /stopping on SIGTERM/);
    assert.match(stdout, /^5 hosts: \d ok, 0 failed, 0 unreachable, [1-4] skipped/m);
    await assertRunning(fleet, ['A', 'C', 'D'], 'after SIGTERM');
  });

  test('a stuck hook is cut off by the step timeout: the host fails naming the step and the limit, and goes back', async () => {
    writeFileSync(path.join(hello.project, 'tasks', 'hello.ts'), helloTask("hooks: { beforeSwitch: 'sleep 60' },"));
    try {
      hello.artifact('F');
      const started = Date.now();
      const r = hello.run(['--json', '--step-timeout', '2s', 'deploy', 'web']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(Date.now() - started < 40_000, `took ${Date.now() - started} ms`);
      const doc = jsonLines<Result>(r.stdout);
      assert.deepEqual(
        doc.results.map((x) => x.result),
        Array(5).fill('reverted'),
      );
      assert.match(doc.results[0]!.error ?? '', /beforeSwitch hook failed: timed out after 2s \(step_timeout/);
      await assertRunning(fleet, ['A', 'C', 'D'], 'after the stuck hook');
      // The hook itself is gone from every host, not left running beside the next deploy (sshd will not signal a
      // root login's channel: the step's processes are ended by their mark).
      for (const a of fleet.addresses)
        assert.equal(openssh(fleet, a, "pgrep -fx 'sleep 60' || echo none").stdout.trim(), 'none', a);
    } finally {
      writeFileSync(path.join(hello.project, 'tasks', 'hello.ts'), helloTask());
    }
  });

  test("a login shell's rc files that print on every command do not confuse the lock, state or supervisord's conf", async () => {
    // A login shell that greets on every command (as some .bashrc and profile scripts do, for ssh commands too).
    const chatty = '#!/bin/sh\necho "Welcome! LOCKED CONF entry=x current=y"\nexec /bin/bash "$@"\n';
    for (const a of fleet.addresses) {
      openssh(
        fleet,
        a,
        `printf '%s' '${chatty}' > /root/chatty-sh && chmod 0755 /root/chatty-sh && usermod -s /root/chatty-sh root`,
      );
    }
    try {
      assert.match(
        openssh(fleet, fleet.addresses[0]!, 'true').stdout,
        /Welcome!/,
        'the login shell prints on a command',
      );
      hello.artifact('E');
      const r = hello.run(['deploy', 'web']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await assertRunning(fleet, 'E', 'with a chatty .bashrc');
    } finally {
      for (const a of fleet.addresses) openssh(fleet, a, 'usermod -s /bin/bash root');
    }
  });
});

describe('a deploy killed at any step converges on the next plain run (1 host)', { skip }, () => {
  // startsecs 3: the wait for RUNNING lasts long enough to be cut in.
  const base = { STARTSECS: '3', ROUND: 'base' };
  let fleet: TestFleet;
  let hello: ReturnType<typeof helloProject>;
  before(() => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.17.1' });
    hello = helloProject(fleet, 'killed');
    writeFileSync(path.join(hello.project, 'tasks', 'hello.ts'), helloTask("hooks: { afterUpload: 'sleep 1' },"));
    hello.artifact('v0');
    const first = hello.run(['deploy', 'web'], base);
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => fleet?.down());

  // Where the run is cut: the step line that starts it, and how long after it the SIGKILL comes. The conf stays the
  // same (a release change then restarts the group: the `restart` step), except in the last cut, which changes it.
  const cuts: [string, RegExp, number, Record<string, string>][] = [
    ['after the lock', /\] hello: lock$/m, 0, {}],
    ['mid-upload', /\] hello: upload /m, 30, {}],
    ['after unpack (in afterUpload)', /\] hello: afterUpload /m, 200, {}],
    ['after current moved', /\] hello: switch /m, 100, {}],
    ['after the stop', /\] hello: restart /m, 1300, {}],
    ['during the wait for RUNNING', /\] hello: wait RUNNING /m, 600, {}],
    ['during the health check', /\] hello: health /m, 600, { HEALTH_SLEEP: '2' }],
    ['after the conf was written', /\] hello: apply conf /m, 0, { ROUND: 'changed' }],
  ];

  for (const [i, [where, step, delayMs, env]] of cuts.entries()) {
    test(`killed ${where}: the next plain deploy exits 0, RUNNING and healthy on the new release, no unlock by hand`, async () => {
      const release = `v${i + 1}`;
      hello.artifact(release, [], 4 * 1024 * 1024);
      const round = { ...base, ...env };
      const child = hello.spawn(['deploy', 'web'], round);
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const deadline = Date.now() + 60_000;
      while (!step.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(out, step, `the run never reached the step: ${out}`);
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
      const rerun = hello.run(['deploy', 'web'], round);
      assert.equal(rerun.code, 0, `${where}: ${rerun.stdout}${rerun.stderr}`);
      await assertRunning(fleet, release, `killed ${where}`);
    });
  }
});
