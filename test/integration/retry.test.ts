// The run journal and `convoy retry` on real hosts (127.0.36.x, 3 hosts): a deploy where one host is unreachable (its
// sshd frozen) and another fails its health check; both come back; `convoy retry` deploys those two only, with the
// same release (the first host keeps its PID and gets no record line), and exits 0. A second retry has nothing to
// do; a retry after the artifact changed refuses (exit 2) naming both digests, touching no host.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { readJournal } from '../../src/commands/run-journal.ts';
import { newestFirst } from '../../src/orchestration/journal.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const probeTask = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'probe',
  root: '/srv/probe',
  artifact: 'build/probe',
  programs: { run: { command: '/bin/sleep 3600', startsecs: 1 } },
  healthcheck: { command: 'test -e /srv/healthy', timeout: '2s', interval: '500ms' },
});
`;

interface RunJson {
  id: string;
  retryOf?: string;
  interrupted: boolean;
  exitCode?: number;
  digests?: Record<string, string>;
  counts: Record<string, number>;
  hosts: { host: string; state: string; phase?: string; detail?: string; release?: string }[];
}

describe('run journal and convoy retry (3 hosts)', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const run = (...args: string[]): CliResult =>
    convoy(['-i', 'fleet.ini', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command).stdout.trim();
  const pid = (i: number) => on(i, 'supervisorctl pid probe:run');
  const recordLines = (i: number) => on(i, 'cat /srv/probe/.convoy/deploys.jsonl');
  const current = (i: number) => on(i, 'basename "$(readlink /srv/probe/current)"');
  // The journal as `convoy runs --json` shows it (once), and as the files hold it (cheaper: no process).
  const runsCli = (): RunJson[] =>
    run('runs', '--json')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunJson & { type: string })
      .filter((r) => r.type === 'run');
  const runs = () => newestFirst(readJournal(project));
  // PID 1 of host 3's namespaces is its listening sshd: stopped, it accepts no new SSH session (the host is
  // unreachable past --timeout), and continued, it answers again.
  const sshd3 = () => {
    const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
    const init = state.hosts[2]?.init?.pid;
    assert.ok(init, 'no init pid for host 3');
    return init;
  };
  const build = (version: string) => writeFileSync(path.join(project, 'build', 'probe', 'VERSION'), `${version}\n`);

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.36.1' });
    project = userProject('retry');
    writeFileSync(path.join(project, 'tasks', 'probe.ts'), probeTask);
    mkdirSync(path.join(project, 'build', 'probe'), { recursive: true });
    build('1');
    writeFileSync(
      path.join(project, 'fleet.ini'),
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
        '\n[group:web]\nhosts = h[1:3]\n',
    );
    for (const i of [0, 1, 2]) on(i, 'touch /srv/healthy');
    const first = run('deploy', 'web', 'probe');
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => {
    try {
      process.kill(sshd3(), 'SIGCONT');
    } catch {
      /* the fleet is gone already */
    }
    fleet?.down();
  });

  test('a deploy with an unreachable host and a failing one; both come back; retry redoes those two only', () => {
    build('2');
    on(1, 'rm -f /srv/healthy');
    process.kill(sshd3(), 'SIGSTOP');
    let failed: CliResult;
    try {
      failed = run('--timeout', '2s', 'deploy', 'web', 'probe', '--max-fail', '2');
    } finally {
      process.kill(sshd3(), 'SIGCONT');
    }
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /^3 hosts: 1 ok, 1 failed, 1 unreachable, 0 skipped/m);
    const [journaled] = runsCli();
    assert.ok(journaled);
    assert.deepEqual(journaled.counts, { ok: 1, failed: 1, unreachable: 1, skipped: 0, pending: 0 });
    assert.deepEqual(
      journaled.hosts.map((h) => [h.host, h.state]),
      [
        ['h1', 'ok'],
        ['h2', 'failed'],
        ['h3', 'unreachable'],
      ],
    );
    assert.equal(journaled.hosts[0]!.detail, 'deployed');
    assert.match(journaled.hosts[1]!.phase ?? '', /health|revert|restart/);
    assert.equal(journaled.exitCode, 1);
    assert.equal(journaled.interrupted, false);
    assert.ok(journaled.digests?.probe);
    const release = current(0);
    const h1Pid = pid(0);
    const h1Record = recordLines(0);
    assert.equal(journaled.hosts[0]!.release, release);

    on(1, 'touch /srv/healthy');
    const retry = run('retry');
    assert.equal(retry.code, 0, retry.stdout + retry.stderr);
    assert.match(retry.stderr, new RegExp(`retrying run ${journaled.id} .* on h2, h3; not touching h1`));
    assert.match(retry.stdout, /^2 hosts: 2 ok, 0 failed, 0 unreachable, 0 skipped/m);
    assert.doesNotMatch(retry.stdout, /\bh1\b/);
    assert.equal(pid(0), h1Pid, 'h1 was restarted by the retry');
    assert.equal(recordLines(0), h1Record, 'the retry wrote to h1 deploy record');
    assert.equal(current(1), release, 'h2 did not get the run release');
    assert.equal(current(2), release, 'h3 did not get the run release');
    const [retried] = runs();
    assert.equal(retried?.retryOf, journaled.id);
    assert.deepEqual(
      retried?.hosts.map((h) => [h.host, h.state]),
      [
        ['h2', 'ok'],
        ['h3', 'ok'],
      ],
    );
    // The run id is the lock token: the hosts' records name the retry, h1's does not.
    assert.match(recordLines(2), new RegExp(`"run":"${retried!.id}"`));
    assert.doesNotMatch(recordLines(0), new RegExp(retried!.id));

    const again = run('retry');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, new RegExp(`nothing to retry: every host of run ${retried!.id} .* succeeded`));
  });

  test('a retry after the artifact changed refuses with exit 2, naming both digests; no host is touched', () => {
    const failedRun = runs().find((r) => r.exitCode === 1);
    assert.ok(failedRun?.digests?.probe);
    const record = recordLines(1);
    build('3');
    const refused = run('retry', failedRun.id.slice(0, 6));
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`was sha256 ${failedRun.digests.probe} in run ${failedRun.id}`));
    assert.match(refused.stderr, /it is now sha256 [0-9a-f]{64}/);
    assert.equal(recordLines(1), record, 'the refused retry wrote to h2');
    assert.equal(runs()[0]?.exitCode, 0, 'the refused retry left a journal entry');
  });
});
