// `--persist`: connections kept open between runs by a background process (as OpenSSH's ControlPersist), reused by
// the next run, with the same results and exit codes as direct connections, a socket only its user can open, and an
// end once idle.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { persistSocketPath } from '../../src/host/fleet.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { muxProtocolVersion } from '../../src/ssh/mux/protocol.ts';
import { jsonLines } from './support/json-lines.ts';
import { listProcesses } from './support/procs.ts';
import { persistPid, sshPortsOf } from './support/persist.ts';
import { convoy, convoyBin, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('--persist on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  const homes: string[] = [];
  const inventory = (extra = '') => {
    const file = path.join(work, 'fleet.ini');
    writeFileSync(
      file,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:p${i + 1}]\naddress = ${a}\n`).join('\n') +
        extra,
    );
    return file;
  };
  const run = (home: string, ...args: string[]) =>
    convoy(['-i', inventory(), ...args], { env: { HOME: home, SSH_AUTH_SOCK: '' } });
  const newHome = () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'convoy-persist-'));
    homes.push(home);
    return home;
  };

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.15.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-persist-work-'));
    for (const a of fleet.addresses) {
      const r = openssh(
        fleet,
        a,
        "printf '[program:steady]\\ncommand=/bin/sleep 3600\\nstartsecs=0\\n' > /etc/supervisor/conf.d/p.conf && supervisorctl update >/dev/null && sleep 0.5",
      );
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => {
    for (const home of homes) {
      const pid = persistPid(home);
      if (pid) process.kill(pid, 'SIGTERM');
      rmSync(home, { recursive: true, force: true });
    }
    fleet?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('status twice: the second run reuses the connections the first one opened; same table, exit 0', () => {
    const home = newHome();
    const first = run(home, '--persist', '30s', 'status', 'all');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const pid = persistPid(home);
    assert.ok(pid, 'a persist process runs');
    const ports = sshPortsOf(pid);
    assert.equal(ports.length, 3, `the persist process holds one connection per host: ${ports.join(' ')}`);
    const second = run(home, '--persist', '30s', 'status', 'all');
    assert.equal(second.code, 0);
    assert.deepEqual(sshPortsOf(pid), ports, 'the same connections, no new handshake');
    const rows = (out: string) =>
      out
        .split('\n')
        .filter((l) => /^p\d/.test(l))
        .map((l) => l.split(/\s+/).slice(0, 3).join(' '));
    assert.deepEqual(rows(second.stdout), rows(first.stdout));
    assert.deepEqual(rows(second.stdout), ['p1 steady RUNNING', 'p2 steady RUNNING', 'p3 steady RUNNING']);
    // Only its user may reach it: the directory is 0700, the socket 0600.
    assert.equal(statSync(path.join(home, '.convoy')).mode & 0o777, 0o700);
    assert.equal(statSync(persistSocketPath(home)).mode & 0o777, 0o600);
  });

  test('exec through the persist process: output, exit codes and --json as with direct connections', () => {
    const home = newHome();
    const command = ['echo $((6*7)); echo oops >&2; case $(hostname) in *2) exit 3;; esac'];
    const r = run(home, '--persist', '30s', 'exec', 'all', '--json', '--', ...command);
    const direct = run(home, 'exec', 'all', '--json', '--', ...command);
    assert.equal(r.code, 1, 'one host exited 3');
    assert.equal(direct.code, 1);
    const shape = (out: string) =>
      jsonLines<{ host: string; code: number; stdout: string; stderr: string }>(out).results.map((x) => [
        x.host,
        x.code,
        x.stdout,
        x.stderr,
      ]);
    assert.deepEqual(shape(r.stdout), shape(direct.stdout));
    assert.deepEqual(
      shape(r.stdout).map((x) => [x[1], x[2], x[3]]),
      [
        [0, '42\n', 'oops\n'],
        [3, '42\n', 'oops\n'],
        [0, '42\n', 'oops\n'],
      ],
    );
  });

  test('an unreachable host through the persist process: reported unreachable, the others answer; exit 4', () => {
    const home = newHome();
    const file = inventory('\n[host:ghost]\naddress = 127.0.15.200\n');
    const r = convoy(['-i', file, '--persist', '30s', 'exec', 'all', '--', 'true'], {
      env: { HOME: home, SSH_AUTH_SOCK: '' },
    });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /ghost .*unreachable: .*refused/);
    assert.match(r.stdout, /4 hosts: 3 ok, 0 failed, 1 unreachable/);
  });

  test('a rolling deploy whose pause is longer than the idle time finishes on every host (the run holds a lease)', () => {
    const home = newHome();
    const project = userProject('persist');
    homes.push(project);
    mkdirSync(path.join(project, 'build', 'idle'), { recursive: true });
    writeFileSync(path.join(project, 'build', 'idle', 'VERSION'), '1\n');
    writeFileSync(
      path.join(project, 'tasks', 'idle.ts'),
      "import { defineApp } from 'convoy';\nexport default defineApp({ name: 'idle', root: '/srv/idle', artifact: 'build/idle', programs: { idle: { command: '/bin/sleep 3600', startsecs: 1 } } });\n",
    );
    const r = convoy(
      ['-i', inventory(), '--persist', '1s', 'deploy', 'all', 'idle', '--rolling', '1', '--pause', '2500ms'],
      {
        cwd: project,
        env: { HOME: home, SSH_AUTH_SOCK: '' },
      },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^3 hosts: 3 ok, 0 failed, 0 unreachable, 0 skipped/m);
  });

  test(
    'a run killed mid-upload: the persist process abandons the copy instead of finishing it',
    { timeout: 120_000 },
    async () => {
      // The upload goes through the persist process (one SFTP session of its own). With p1's sshd session frozen
      // mid-copy, the run is killed; once sshd runs again, the copy must not go on: an abandoned 150 MB upload would
      // otherwise keep filling a thin uplink long after Ctrl-C.
      const home = newHome();
      const project = userProject('persist-upload');
      homes.push(project);
      const build = path.join(project, 'build', 'big');
      mkdirSync(build, { recursive: true });
      writeFileSync(path.join(build, 'ballast.bin'), Buffer.alloc(150 * 1024 * 1024, 7));
      writeFileSync(
        path.join(project, 'tasks', 'big.ts'),
        "import { defineApp } from 'convoy';\nexport default defineApp({ name: 'big', root: '/srv/big', artifact: 'build/big', programs: { big: { command: '/bin/sleep 3600', startsecs: 0 } } });\n",
      );
      const objects = path.join(fleet.stateDir, 'hosts', '1', 'srv', 'big', '.convoy', 'objects');
      const incoming = () => {
        const name = existsSync(objects) ? readdirSync(objects).find((f) => f.startsWith('.incoming-')) : undefined;
        return name === undefined ? 0 : (statSync(path.join(objects, name), { throwIfNoEntry: false })?.size ?? 0);
      };
      const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
      const ns = readlinkSync(`/proc/${state.hosts[0]!.init!.pid}/ns/pid`);
      const sessions = () =>
        listProcesses()
          .filter((p) => p.pidNamespace === ns && /^sshd: root@notty/.test(p.cmdline))
          .map((p) => p.pid);
      const run = spawn(process.execPath, [convoyBin, '-i', inventory(), '--persist', '1m', 'deploy', 'p1', 'big'], {
        cwd: project,
        env: { ...process.env, HOME: home, SSH_AUTH_SOCK: '' },
        stdio: 'ignore',
      });
      const ended = new Promise((resolve) => run.on('close', resolve));
      let frozen: number[] = [];
      try {
        for (let waited = 0; incoming() < 1024 * 1024 && waited < 90_000; waited += 20)
          await new Promise((r) => setTimeout(r, 20));
        frozen = sessions();
        for (const pid of frozen) process.kill(pid, 'SIGSTOP');
        const atKill = incoming();
        assert.ok(atKill > 0, 'the upload was never seen in progress');
        run.kill('SIGKILL');
        await ended;
        await new Promise((r) => setTimeout(r, 1000));
        for (const pid of frozen) process.kill(pid, 'SIGCONT');
        frozen = [];
        await new Promise((r) => setTimeout(r, 3000));
        const settled = incoming();
        assert.ok(settled < 100 * 1024 * 1024, `the copy went on after its run ended: ${settled} bytes of ~150 MB`);
      } finally {
        for (const pid of frozen) process.kill(pid, 'SIGCONT');
        run.kill('SIGKILL');
      }
    },
  );

  test('the persist process ends on its own once idle for the --persist time, and removes its socket', async () => {
    const home = newHome();
    assert.equal(run(home, '--persist', '1s', 'status', 'all').code, 0);
    const pid = persistPid(home);
    assert.ok(pid);
    for (let waited = 0; persistPid(home) !== undefined && waited < 6000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(persistPid(home), undefined, 'ended within 6 s of a 1 s idle time');
    assert.equal(existsSync(persistSocketPath(home)), false);
  });

  test('kill $(cat <socket>.pid), as the docs say, stops it at once and removes its socket and pid file', async () => {
    const home = newHome();
    assert.equal(run(home, '--persist', '30m', 'status', 'all').code, 0);
    const pid = persistPid(home);
    assert.ok(pid);
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; persistPid(home) !== undefined && waited < 3000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(persistPid(home), undefined, 'ended within 3 s of SIGTERM');
    assert.equal(existsSync(persistSocketPath(home)), false, 'no socket left behind');
    assert.equal(existsSync(`${persistSocketPath(home)}.pid`), false, 'no pid file left behind');
  });

  test('a persist process left by an earlier Convoy version (another protocol) is never asked: the run works', async () => {
    // After an upgrade the old process lives on until its idle time; it refused the new client's lease and every
    // host failed. Here a stand-in for it answers every request on the earlier version's socket with a refusal.
    const home = newHome();
    const oldSocket = persistSocketPath(home, muxProtocolVersion - 1);
    mkdirSync(path.dirname(oldSocket), { recursive: true, mode: 0o700 });
    const refuser = spawn(
      process.execPath,
      [
        '-e',
        `require('node:net').createServer((s) => s.on('data', () => s.end('{"ok":false,"error":{"kind":"closed","message":"unknown op","unreachable":false}}\\n'))).listen(process.argv[1], () => console.log('up'))`,
        oldSocket,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => refuser.stdout.once('data', resolve));
      const r = run(home, '--persist', '30s', 'exec', 'all', '--', 'true');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /3 hosts: 3 ok/);
      assert.ok(persistPid(home), "this version's own persist process runs beside the old one");
    } finally {
      refuser.kill();
    }
  });
});
