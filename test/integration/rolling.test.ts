// Rolling restarts and deploys on 10 real hosts: batch limits hold at every moment, health gates stop a rollout,
// the failed batch goes back, later hosts are untouched, and one failure budget spans the run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import {
  convoy,
  convoyBin,
  integrationSkipReason,
  openssh,
  repoRoot,
  startFleet,
  userProject,
} from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';
import { listProcesses } from './support/procs.ts';

const skip = integrationSkipReason();

describe('rolling on 10 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let namespaces: string[];
  const env = () => ({ ...process.env, HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' });
  const inventory = () => path.join(project, 'fleet.ini');
  const run = (...args: string[]) =>
    convoy(['-i', inventory(), ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });

  before(() => {
    fleet = startFleet({ hosts: 10, firstAddress: '127.0.8.1' });
    project = userProject('rolling');
    // Hosts run in inventory order: each ghost (nothing listens there) sits right after a real host.
    const ghostAfter: Record<number, string> = { 0: 'ghost1', 1: 'ghost2' };
    writeFileSync(
      inventory(),
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses
          .map(
            (a, i) =>
              `[host:h${String(i + 1).padStart(2, '0')}]\naddress = ${a}\n` +
              (ghostAfter[i] ? `\n[host:${ghostAfter[i]}]\naddress = 127.0.8.${201 + i}\n` : ''),
          )
          .join('\n') +
        '\n[group:web]\nhosts = h[01:10]\napp_port = 8082\n',
    );
    const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
    namespaces = state.hosts.map((h) => readlinkSync(`/proc/${h.init!.pid}/ns/pid`));
    for (const a of fleet.addresses) {
      const r = openssh(
        fleet,
        a,
        "printf '[program:ticker]\\ncommand=/bin/sleep 3601\\nstartsecs=1\\n' > /etc/supervisor/conf.d/ticker.conf && supervisorctl update >/dev/null",
      );
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => fleet?.down());

  /** PID of the ticker on each host, read from the machine's /proc (no SSH, so sampling does not disturb the run). */
  function tickerPids(): (number | null)[] {
    const procs = listProcesses().filter((p) => p.cmdline === '/bin/sleep 3601');
    return namespaces.map((ns) => procs.find((p) => p.pidNamespace === ns)?.pid ?? null);
  }

  test('restart --rolling 3: at no moment more than 3 hosts restarting, every host restarted exactly once', async () => {
    await new Promise((r) => setTimeout(r, 1200));
    const initial = tickerPids();
    assert.ok(
      initial.every((p) => p !== null),
      JSON.stringify(initial),
    );
    const samples: { t: number; pids: (number | null)[] }[] = [];
    const child = spawn(
      process.execPath,
      [convoyBin, '-i', inventory(), 'restart', 'web', 'ticker', '--rolling', '3'],
      { cwd: project, env: env() },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    let running = true;
    const done = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        running = false;
        resolve(code);
      }),
    );
    while (running) {
      samples.push({ t: Date.now(), pids: tickerPids() });
      await new Promise((r) => setTimeout(r, 40));
    }
    assert.equal(await done, 0, stdout);
    samples.push({ t: Date.now(), pids: tickerPids() });
    // A host is restarting from its last sample with the old PID until its first sample with the new one is 1 s old
    // (startsecs): the window in which it is not serving.
    const windows = namespaces.map((_, i) => {
      const lastOld = samples.filter((s) => s.pids[i] === initial[i]).at(-1)?.t ?? 0;
      const firstNew = samples.find((s) => s.pids[i] !== null && s.pids[i] !== initial[i])?.t ?? Infinity;
      return [lastOld, firstNew + 1000] as const;
    });
    for (const s of samples) {
      const restarting = windows.filter(([from, to]) => s.t > from && s.t < to).length;
      assert.ok(restarting <= 3, `${restarting} hosts restarting at ${s.t}`);
    }
    samples.forEach((s) =>
      s.pids.forEach((pid, i) =>
        assert.ok(
          pid === null || pid === initial[i] || pid === samples.at(-1)!.pids[i],
          `host ${i + 1} restarted more than once`,
        ),
      ),
    );
    const final = samples.at(-1)!.pids;
    final.forEach((pid, i) => assert.ok(pid !== null && pid !== initial[i], `host ${i + 1} was not restarted`));
    assert.match(stdout, /^batch 1\/4: h01, h02, h03$/m);
    assert.match(stdout, /^batch 4\/4: h10$/m);
  });

  test('--max-fail 1 lets one unreachable host through and stops at the second', () => {
    const r = run('--json', 'restart', 'h01,ghost1,h02,ghost2,h03,h04', 'ticker', '--rolling', '2', '--max-fail', '1');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = jsonLines<{ host: string; status: string }>(r.stdout);
    const events = lines.records as { type: string; host?: string; status?: string }[];
    assert.deepEqual(events.filter((e) => e.type === 'batch').length, 2, 'the third batch never starts');
    assert.deepEqual(
      events
        .filter((e) => e.type === 'host')
        .map((e) => `${e.host}:${e.status}`)
        .sort(),
      ['ghost1:unreachable', 'ghost2:unreachable', 'h01:ok', 'h02:ok', 'h03:skipped', 'h04:skipped'],
    );
    assert.deepEqual([lines.summary.command, lines.summary.skipped, lines.summary.unreachable], ['restart', 2, 2]);
    assert.deepEqual(
      lines.results.map((h) => [h.host, h.status]),
      [
        ['h01', 'ok'],
        ['ghost1', 'unreachable'],
        ['h02', 'ok'],
        ['ghost2', 'unreachable'],
        ['h03', 'skipped'],
        ['h04', 'skipped'],
      ],
    );
    const text = run('restart', 'ghost1,h05,h06', 'ticker', '--rolling', '1', '--max-fail', '1');
    assert.equal(text.code, 4, text.stdout);
    assert.match(text.stdout, /^3 hosts: 2 ok, 0 failed, 1 unreachable/m);
  });

  /** Runs convoy, sends SIGINT once `trigger` appears in its output; resolves with its exit code and output. */
  function interruptWhen(
    trigger: RegExp,
    ...args: string[]
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [convoyBin, '-i', inventory(), ...args], { cwd: project, env: env() });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (!sent && trigger.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  test('Ctrl-C during a rolling restart: the running batch finishes, later hosts are untouched, summary, exit 130', async () => {
    const before = tickerPids();
    const r = await interruptWhen(/^batch 2\/5/m, 'restart', 'web', 'ticker', '--rolling', '2', '--pause', '1s');
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, /interrupted: no new batch starts/);
    assert.match(r.stdout, /stopped: interrupted \(Ctrl-C\); later batches were not touched/);
    assert.match(r.stdout, /^10 hosts: 4 ok, 0 failed, 0 unreachable, 6 skipped/m);
    const after = tickerPids();
    for (let i = 0; i < 10; i++) {
      if (i < 4) assert.notEqual(after[i], before[i], `h${i + 1} was in a started batch`);
      else assert.equal(after[i], before[i], `h${i + 1} must be untouched`);
    }
  });

  test('a rolling deploy whose new release fails its health check: only the first batch is touched and goes back', async () => {
    const artifact = path.join(project, 'build', 'hello');
    mkdirSync(artifact, { recursive: true });
    cpSync(path.join(repoRoot, 'examples/hello/server.js'), path.join(artifact, 'server.js'));
    writeFileSync(path.join(artifact, 'VERSION'), '1\n');
    writeFileSync(
      path.join(project, 'tasks', 'hello.ts'),
      `import { defineApp } from 'convoy';
export default defineApp({
  name: 'hello', hosts: 'web', root: '/srv/hello', artifact: 'build/hello',
  programs: { web: { command: '/usr/bin/node server.js --host {{address}} --port {{app_port}}', startsecs: 1 } },
  healthcheck: { http: 'http://{{address}}:{{app_port}}/health', timeout: '3s' },
});
`,
    );
    const first = run('deploy', 'web');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const state = () =>
      fleet.addresses.map((a) =>
        openssh(fleet, a, 'readlink /srv/hello/current; supervisorctl pid hello:web').stdout.trim(),
      );
    const before = state();
    writeFileSync(path.join(artifact, 'VERSION'), '2\n');
    writeFileSync(path.join(artifact, 'FAIL_HEALTH'), '');
    const r = run('--json', 'deploy', 'web', '--rolling', '3');
    assert.equal(r.code, 1, r.stdout);
    const doc = jsonLines<{ host: string; result: string; release: string }>(r.stdout);
    assert.deepEqual(
      doc.results.map((x) => x.result),
      ['reverted', 'reverted', 'reverted', ...Array(7).fill('skipped')],
    );
    assert.deepEqual(
      [doc.summary.ok, doc.summary.failed, doc.summary.skipped, doc.summary.unreachable],
      [0, 3, 7, 0],
      'skipped hosts are counted as skipped, as restart counts them',
    );
    const after = state();
    for (let i = 0; i < 10; i++) {
      const [current, pid] = after[i]!.split('\n');
      assert.equal(current, before[i]!.split('\n')[0], `h${i + 1} must run the previous release`);
      assert.match(openssh(fleet, fleet.addresses[i]!, 'supervisorctl status hello:web').stdout, /RUNNING/);
      if (i >= 3) assert.equal(pid, before[i]!.split('\n')[1], `h${i + 1} must be untouched`);
    }
  });

  test('Ctrl-C during a rolling deploy: switched hosts keep the new release, the rest the old one, no lock is left', async () => {
    const artifact = path.join(project, 'build', 'hello');
    rmSync(path.join(artifact, 'FAIL_HEALTH'), { force: true });
    writeFileSync(path.join(artifact, 'VERSION'), '3\n');
    const r = await interruptWhen(/batch 1\/5/, 'deploy', 'web', '--rolling', '2', '--pause', '2s');
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stdout, /not touched: interrupted \(Ctrl-C\)/);
    const locks = fleet.addresses.map((a) =>
      openssh(fleet, a, 'test -e /srv/hello/.convoy-lock && echo LOCKED || echo free').stdout.trim(),
    );
    assert.deepEqual(locks, Array(10).fill('free'));
    const versions = fleet.addresses.map((a) => openssh(fleet, a, `cat /srv/hello/current/VERSION`).stdout.trim());
    assert.deepEqual(versions, ['3', '3', '1', '1', '1', '1', '1', '1', '1', '1']);
  });
});
