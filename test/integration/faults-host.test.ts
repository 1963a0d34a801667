// Fault matrix (rest): a host that stops answering mid-step (its sshd sessions frozen with SIGSTOP), and a host whose
// disk fills up while staging (a small tmpfs over the app root in that host's own mount namespace). Each case checks
// the exit code, the message, the other hosts, and that the faulty host keeps its previous release RUNNING.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { childPids } from '../../src/sandbox/processes.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { convoyBin, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface DeployJson {
  results: { host: string; result: string; release?: string; error?: string }[];
}

const probeTask = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'probe',
  root: '/srv/probe',
  artifact: process.env.PROBE_ARTIFACT ?? 'build/v1',
  programs: { run: { command: '/bin/sh run.sh', startsecs: 1 } },
  hooks: process.env.PROBE_HOOK ? { afterUpload: process.env.PROBE_HOOK } : {},
});
`;

describe('a host that goes silent, a host whose disk is full (3 hosts)', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;

  // PID 1 of a host's namespaces (its listening sshd), as the machine sees it.
  const initPid = (i: number): number => {
    const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
    const pid = state.hosts[i]?.init?.pid;
    assert.ok(pid, `no init pid recorded for host ${i + 1}`);
    return pid;
  };
  const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
  const comm = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  // The sshd processes serving open connections on host i (not its listener): the host stops answering them.
  const freeze = (i: number): number[] => {
    const pids = descendants(initPid(i)).filter((p) => comm(p) === 'sshd');
    assert.ok(pids.length > 0, 'no sshd session to freeze');
    for (const p of pids) process.kill(p, 'SIGSTOP');
    return pids;
  };
  const thaw = (pids: readonly number[]) => {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGCONT');
      } catch {
        /* already gone */
      }
    }
  };
  const hostFile = (i: number, file: string) => `/proc/${initPid(i)}/root${file}`;
  const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...process.env,
    HOME: project,
    SSH_AUTH_SOCK: '',
    NO_COLOR: '1',
    ...extra,
  });
  // The CLI in the background, so the test can act on a host mid-run; killed (and reported) if it ever hangs.
  const start = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve) => {
      const began = Date.now();
      const child = spawn(process.execPath, [convoyBin, '-i', inventory, ...args], { cwd: project, env: env(extra) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(guard);
        resolve({ code, stdout, stderr, ms: Date.now() - began });
      });
    });
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [convoyBin, '-i', inventory, ...args], {
      cwd: project,
      env: env(extra),
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const summary = (stdout: string): DeployJson => ({
    results: jsonLines<DeployJson['results'][number]>(stdout).results,
  });
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command).stdout.trim();
  const current = (i: number) => on(i, 'readlink /srv/probe/current');
  const pid = (i: number) => on(i, 'supervisorctl pid probe:run');
  const artifact = (name: string, extra: Record<string, Buffer | string> = {}) => {
    const dir = path.join(project, 'build', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'run.sh'), `# ${name}\nexec sleep 3600\n`);
    for (const [file, content] of Object.entries(extra)) writeFileSync(path.join(dir, file), content);
    return dir;
  };

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.12.1' });
    project = userProject('faults-host');
    writeFileSync(path.join(project, 'tasks', 'probe.ts'), probeTask);
    artifact('v1');
    inventory = path.join(project, 'fleet.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:f${i + 1}]\naddress = ${a}\n`).join('\n'),
    );
    const first = run(['deploy', 'all', 'probe']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => {
    fleet?.down();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('exec: a host frozen mid-command is unreachable after --timeout; the others finish; exit 4', async () => {
    const running = start(['--timeout', '2s', 'exec', 'all', '--', 'touch /tmp/exec-started; sleep 5; echo finished']);
    let frozen: number[] = [];
    try {
      await waitFor('the command to start on f2', () => existsSync(hostFile(1, '/tmp/exec-started')));
      frozen = freeze(1);
      const r = await running;
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stdout, /^f1 \| finished$/m);
      assert.match(r.stdout, /^f3 \| finished$/m);
      assert.doesNotMatch(r.stdout, /^f2 \| finished$/m);
      assert.match(
        r.stdout,
        /^f2 ✗ unreachable: root@f2 \(127\.0\.12\.2\): lost: the host stopped answering for 2\.0s \(3 keepalives unanswered; --timeout or server_alive_interval\/server_alive_count_max set this\)$/m,
      );
      assert.match(r.stdout, /^3 hosts: 2 ok, 0 failed, 1 unreachable/m);
      // The others' 5 s command, the 2 s timeout and start-up, with room for a loaded machine; without --timeout
      // the silent host alone would take about 60 s.
      assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    } finally {
      thaw(frozen);
    }
    assert.equal(on(1, 'echo back'), 'back');
  });

  test('deploy: a host frozen while staging is unreachable, keeps its release RUNNING and no lock; the others deploy; exit 4', async () => {
    artifact('v2');
    const before = { current: current(1), pid: pid(1) };
    const running = start(['--timeout', '2s', '--json', 'deploy', 'all', 'probe', '--max-fail', '1'], {
      PROBE_ARTIFACT: 'build/v2',
      PROBE_HOOK: 'touch /tmp/staging; sleep 3',
    });
    let frozen: number[] = [];
    let r: Run | undefined;
    try {
      await waitFor('f2 to be staging', () => existsSync(hostFile(1, '/tmp/staging')));
      frozen = freeze(1);
      r = await running;
    } finally {
      thaw(frozen);
    }
    assert.ok(r);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    const results = summary(r.stdout).results;
    assert.deepEqual(
      results.map((x) => [x.host, x.result]),
      [
        ['f1', 'deployed'],
        ['f2', 'unreachable'],
        ['f3', 'deployed'],
      ],
    );
    assert.match(results[1]?.error ?? '', /^root@f2 \(127\.0\.12\.2\): lost: the host stopped answering for 2\.0s/);
    assert.ok(r.ms < 40_000, `took ${r.ms} ms (without --timeout, about 60 s of silence alone)`);
    const v2 = results[0]?.release ?? '';
    assert.equal(current(0), `releases/${v2}`);
    assert.equal(current(2), `releases/${v2}`);
    // Not half-switched: the previous release is current and its process never restarted; the lock was released
    // over a new connection.
    assert.equal(current(1), before.current);
    assert.equal(pid(1), before.pid);
    assert.match(on(1, 'supervisorctl status probe:run'), /RUNNING/);
    assert.equal(on(1, 'test -e /srv/probe/.convoy-lock && echo locked || echo free'), 'free');
    // A normal redeploy finishes the job and prunes what the frozen stage left.
    const again = run(['--json', 'deploy', 'all', 'probe'], { PROBE_ARTIFACT: 'build/v2' });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const redeployed = summary(again.stdout).results;
    assert.deepEqual(
      redeployed.map((x) => x.result),
      ['unchanged', 'deployed', 'unchanged'],
    );
    assert.equal(current(1), `releases/${redeployed[1]?.release}`);
    assert.equal(redeployed[1]?.release?.split('-')[1], v2.split('-')[1]);
    assert.equal(on(1, 'ls /srv/probe/releases | grep -c partial || true'), '0');
  });

  test('deploy: a full disk on one host while staging says ENOSPC there; nothing switches anywhere; exit 1', async () => {
    const full = 2;
    const init = initPid(full);
    const ns = (command: string) =>
      spawnSync('nsenter', ['-t', String(init), '-m', 'sh', '-c', command], { encoding: 'utf8' });
    // A 1 MB tmpfs over the app root in f3's own mount namespace, holding what the root held.
    const mounted = ns(
      'set -e; cp -a /srv/probe /tmp/probe-copy; mount -t tmpfs -o size=1m tmpfs /srv/probe; cp -a /tmp/probe-copy/. /srv/probe/; rm -rf /tmp/probe-copy',
    );
    assert.equal(mounted.status, 0, mounted.stderr);
    try {
      assert.ok(
        !readFileSync('/proc/self/mountinfo', 'utf8').includes(' /srv/probe '),
        'the tmpfs leaked into the machine',
      );
      assert.match(on(full, 'df -P /srv/probe | tail -n 1'), /^tmpfs /);
      const before = [0, 1, 2].map((i) => ({ current: current(i), pid: pid(i) }));

      // Too big to upload: refused before a byte is sent.
      artifact('v3', { 'ballast.bin': randomBytes(3 * 1024 * 1024) });
      const big = run(['--json', 'deploy', 'all', 'probe'], { PROBE_ARTIFACT: 'build/v3' });
      assert.equal(big.code, 1, big.stdout + big.stderr);
      let results = summary(big.stdout).results;
      assert.deepEqual(
        results.map((x) => [x.host, x.result]),
        [
          ['f1', 'skipped'],
          ['f2', 'skipped'],
          ['f3', 'failed'],
        ],
      );
      assert.match(
        results[2]?.error ?? '',
        /^f3: upload failed: No space left on device \(ENOSPC\): \/srv\/probe\/\.convoy\/objects has (0\.\d|1\.0) MB free, 3\.1 MB needed; free space there/,
      );
      assert.match(results[0]?.error ?? '', /not switched: staging failed on f3/);

      // Small to upload, too big once unpacked: tar's own ENOSPC, and the half-unpacked release removed.
      const dir = artifact('v4', { 'zeros.bin': Buffer.alloc(3 * 1024 * 1024) });
      const tarball = path.join(project, 'build', 'v4.tar.gz');
      assert.equal(spawnSync('tar', ['-czf', tarball, '-C', dir, '.']).status, 0);
      const unpack = run(['--json', 'deploy', 'all', 'probe'], { PROBE_ARTIFACT: 'build/v4.tar.gz' });
      assert.equal(unpack.code, 1, unpack.stdout + unpack.stderr);
      results = summary(unpack.stdout).results;
      assert.deepEqual(
        results.map((x) => x.result),
        ['skipped', 'skipped', 'failed'],
      );
      assert.match(
        results[2]?.error ?? '',
        /^f3: unpack failed: No space left on device \(ENOSPC\): \/srv\/probe has 0\.\d MB free; free space there .*\(tar: .*\)$/,
      );

      // Nothing switched or restarted anywhere; nothing half-written or locked is left on the full host.
      assert.deepEqual(
        [0, 1, 2].map((i) => ({ current: current(i), pid: pid(i) })),
        before,
      );
      for (const i of [0, 1, 2]) {
        assert.match(on(i, 'supervisorctl status probe:run'), /RUNNING/);
        assert.equal(on(i, 'test -e /srv/probe/.convoy-lock && echo locked || echo free'), 'free');
      }
      assert.equal(on(full, 'ls -a /srv/probe/releases /srv/probe/.convoy/artifacts | grep -c partial || true'), '0');
    } finally {
      ns('umount /srv/probe');
    }
    // Room again: the same deploy goes through everywhere.
    const ok = run(['deploy', 'all', 'probe'], { PROBE_ARTIFACT: 'build/v3' });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});
