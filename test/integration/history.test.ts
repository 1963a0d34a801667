// `convoy history` and `--lock-wait` on real hosts: three deploys by two users (CONVOY_USER) from a git project show
// as three rows with both names and the commit (`+` when the tree was dirty); a host whose `current` was moved by
// hand is named; an unreachable host is reported without hiding the others. A lock held by a live run refuses at
// once without --lock-wait, after the wait with one too short, and is waited for (holder said) with one long enough.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, spawnConvoy, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'hist',
  hosts: 'web',
  root: '/srv/hist',
  artifact: 'build/hist',
  programs: { hist: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

// A lock as another machine's live deploy leaves it: its process cannot be checked from here, so it is never broken.
const carol = JSON.stringify({
  token: 'c0ffee',
  user: 'carol',
  machine: 'ci-runner-7',
  pid: 4242,
  since: '2026-12-02T09:00:00.000Z',
  command: 'convoy deploy web hist',
});

describe('history and --lock-wait', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let commit: string;
  const run = (args: string[], user = 'alice'): CliResult =>
    convoy(['-i', 'inv.ini', ...args], { cwd: project, env: { HOME: project, CONVOY_USER: user } });
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: project,
      encoding: 'utf8',
    }).trim();
  const inBackground = async (args: string[]) => {
    const child = spawnConvoy(['-i', 'inv.ini', ...args], { cwd: project, env: { HOME: project, CONVOY_USER: 'eve' } });
    const code = await child.closed;
    return { code, output: child.stdout + child.stderr };
  };
  const deploy = (version: string, user: string) => {
    writeFileSync(path.join(project, 'build', 'hist', 'VERSION'), `${version}\n`);
    const r = run(['deploy', 'web', 'hist'], user);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.35.1' });
    project = userProject('history');
    writeFileSync(path.join(project, 'tasks', 'hist.ts'), task);
    mkdirSync(path.join(project, 'build', 'hist'), { recursive: true });
    writeFileSync(path.join(project, '.gitignore'), 'build/\nnode_modules\n.convoy/\n');
    writeFileSync(path.join(project, 'NOTES'), 'one\n');
    // h9 answers nothing (an address of this test's range where no host runs).
    const hosts = fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n');
    writeFileSync(
      path.join(project, 'inv.ini'),
      `[defaults]\nuser = root\nport = ${fleet.port}\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n` +
        `connect_timeout = 3\n\n${hosts}\n[host:h9]\naddress = 127.0.35.9\n\n[group:web]\nhosts = h1, h2\n`,
    );
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'the project');
    commit = git('rev-parse', 'HEAD');
    deploy('1', 'alice');
    deploy('2', 'bob');
    writeFileSync(path.join(project, 'NOTES'), 'two\n'); // uncommitted: the third deploy is from a dirty tree
    deploy('3', 'alice');
  });
  after(() => fleet?.down());

  test('three deploys by two users: three rows, newest first, both names, the commit; -n and --json', () => {
    const r = run(['history', 'web']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const short = commit.slice(0, 7);
    const rows = r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l));
    assert.equal(rows.length, 3, r.stdout);
    assert.match(
      rows[0]!,
      new RegExp(`hist\\s+deploy\\s+\\S+\\s+alice \\(as root\\)\\s+${short}\\+\\s+verified on 2\\s+h1, h2$`),
    );
    assert.match(
      rows[1]!,
      new RegExp(`hist\\s+deploy\\s+\\S+\\s+bob \\(as root\\)\\s+${short}\\s+verified on 2\\s+h1, h2$`),
    );
    assert.match(
      rows[2]!,
      new RegExp(`hist\\s+deploy\\s+\\S+\\s+alice \\(as root\\)\\s+${short}\\s+verified on 2\\s+h1, h2$`),
    );
    assert.match(r.stdout, /hist: current \S+ on 2 hosts/);

    const json = jsonLines(run(['--json', 'history', 'web', 'hist', '-n', '2']).stdout);
    const history = json.records.filter((x) => x.type === 'history');
    assert.deepEqual(
      history.map((x) => [x.user, x.commit, x.dirty, x.outcomes]),
      [
        ['alice', commit, true, { verified: ['h1', 'h2'] }],
        ['bob', commit, undefined, { verified: ['h1', 'h2'] }],
      ],
    );
    assert.deepEqual(json.summary.drift, []);
  });

  test('a host whose current differs is named; an unreachable host is reported, the others still shown (exit 4)', () => {
    const releases = on(1, 'ls /srv/hist/releases').stdout.split('\n').filter(Boolean).sort();
    assert.equal(releases.length, 3, releases.join(' '));
    const moved = on(1, `ln -sfn /srv/hist/releases/${releases[0]} /srv/hist/current`);
    assert.equal(moved.code, 0, moved.stderr);
    try {
      const r = run(['history', 'web,h9', '--deploys']);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`hist: current ${releases[2]} on 1 of 2 hosts; h2 differs: ${releases[0]}`));
      assert.match(r.stdout, /h9 ✗ unreachable: /);
      assert.equal(r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d /.test(l)).length, 3);
      assert.match(r.stdout, /3 hosts: 2 ok, 0 failed, 1 unreachable/);
    } finally {
      on(1, `ln -sfn /srv/hist/releases/${releases[2]} /srv/hist/current`);
    }
  });

  test('--lock-wait: refused at once without it, after the wait when too short (naming the holder), else waits', async () => {
    const held = on(0, `mkdir /srv/hist/.convoy-lock && printf '%s\\n' '${carol}' > /srv/hist/.convoy-lock/owner`);
    assert.equal(held.code, 0, held.stderr);
    try {
      // Four refusals at once, each on h1 only (so they do not lock each other out on h2).
      const started = performance.now();
      const [now, short, restart, remove] = await Promise.all([
        inBackground(['deploy', 'h1', 'hist']),
        inBackground(['deploy', 'h1', 'hist', '--lock-wait', '1500ms']),
        inBackground(['restart', 'h1', 'hist', '--lock-wait', '1s']),
        inBackground(['remove', 'h1', 'hist', '--lock-wait', '1s']),
      ]);
      assert.equal(now.code, 1, now.output);
      assert.match(now.output, /h1: hist is locked by carol@ci-runner-7 \(pid 4242\) .*or use --lock-wait/);
      assert.doesNotMatch(now.output, /waiting/);
      assert.equal(short.code, 1, short.output);
      assert.match(
        short.output,
        /locked by carol@ci-runner-7 .*still held after waiting (1\.[5-9]|[2-9]\.\d)s, --lock-wait/,
      );
      assert.ok(performance.now() - started > 1500);
      assert.equal(restart.code, 1, restart.output);
      assert.match(restart.output, /hist is locked by carol@ci-runner-7 .*still held after waiting/);
      assert.equal(remove.code, 1, remove.output);
      assert.match(remove.output, /h1\s+failed\s+h1: hist is locked by carol@ci-runner-7 .*still held after waiting/);
      assert.match(remove.output, /h1: hist: waiting up to 1s for the lock held by carol@ci-runner-7/);
    } catch (error) {
      on(0, 'rm -rf /srv/hist/.convoy-lock');
      throw error;
    }
    // A new release, so that the waiting deploy writes an entry (an unchanged host writes none, docs/deploy.md).
    writeFileSync(path.join(project, 'build', 'hist', 'VERSION'), 'waited\n');
    const waiting = spawnConvoy(['-i', 'inv.ini', 'deploy', 'web', 'hist', '--lock-wait', '30s'], {
      cwd: project,
      env: { HOME: project, CONVOY_USER: 'dave' },
    });
    const said = /\[h1\] hist: lock waiting up to 30s for the lock held by carol@ci-runner-7 \(pid 4242\)/;
    for (let i = 0; i < 300 && !said.test(waiting.stdout); i++) await sleep(100);
    assert.match(waiting.stdout, said);
    await sleep(1000);
    on(0, 'rm -rf /srv/hist/.convoy-lock');
    const code = await waiting.closed;
    assert.equal(code, 0, waiting.stdout + waiting.stderr);
    assert.equal(waiting.stdout.match(/waiting up to 30s/g)?.length, 1, 'said once');
    const rows = run(['--json', 'history', 'web', '-n', '1']);
    assert.equal(jsonLines(rows.stdout).records.find((x) => x.type === 'history')?.user, 'dave');
  });
});
