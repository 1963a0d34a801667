// Graceful reloads and one process at a time (issue 16): `reload: 'HUP'` sends the signal through supervisord
// instead of stopping the program (same PID, the app re-reads its config), on a new release and on `convoy restart`;
// `processRestart: 'one-at-a-time'` restarts a numprocs group process by process (never fewer than 2 of 3 RUNNING).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convoy, integrationSkipReason, openssh, spawnConvoy, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

// On SIGHUP the program copies the live release's CONFIG into shared/seen, as a server re-reads its config.
const reloaderScript = `#!/bin/sh
trap 'cat /srv/reloader/current/CONFIG > /srv/reloader/shared/seen' HUP
while :; do sleep 1 & wait $!; done
`;

const reloaderTask = (version: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'reloader',
  root: '/srv/reloader',
  artifact: 'build/reloader-v${version}',
  reload: 'HUP',
  programs: { reloader: { command: '/bin/sh /srv/reloader/current/run.sh', startsecs: 1 } },
});
`;

const numberedTask = (version: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'numbered',
  root: '/srv/numbered',
  artifact: 'build/numbered-v${version}',
  processRestart: 'one-at-a-time',
  // startsecs 3: each process is STARTING for 3 s, long enough to be sampled over ssh on a loaded machine.
  programs: { worker: { command: '/bin/sleep 3600', numprocs: 3, startsecs: 3 } },
});
`;

describe('graceful reloads and one process at a time on 2 sandbox hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const run = (...args: string[]): CliResult =>
    convoy(['-i', fleet.inventory, ...args], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
  const onHosts = (command: string) => fleet.addresses.map((a) => openssh(fleet, a, command).stdout.trim());
  const pids = (program: string) => onHosts(`supervisorctl pid ${program}`);

  function artifact(name: string, files: Record<string, string>): void {
    const dir = path.join(project, 'build', name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    chmodSync(dir, 0o755);
  }
  function deployReloader(version: string): CliResult {
    artifact(`reloader-v${version}`, { 'run.sh': reloaderScript, CONFIG: `config v${version}\n` });
    writeFileSync(path.join(project, 'tasks', 'reloader.ts'), reloaderTask(version));
    return run('deploy', 'all', 'reloader');
  }

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.33.1' });
    project = userProject('reload');
  });
  after(() => {
    fleet?.down();
  });

  test("reload: 'HUP': a new release and a restart keep the PID, and the app re-reads its config", () => {
    const first = deployReloader('1');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const before = pids('reloader:reloader');
    assert.ok(
      before.every((pid) => /^\d+$/.test(pid) && pid !== '0'),
      before.join(','),
    );
    const second = deployReloader('2');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /reload.*SIGHUP/);
    assert.deepEqual(pids('reloader:reloader'), before, 'the same processes');
    assert.deepEqual(
      onHosts('cat /srv/reloader/shared/seen'),
      ['config v2', 'config v2'],
      'the app re-read its config',
    );
    assert.deepEqual(onHosts('rm /srv/reloader/shared/seen'), ['', '']);
    const restart = run('restart', 'all', 'reloader');
    assert.equal(restart.code, 0, restart.stdout + restart.stderr);
    assert.deepEqual(pids('reloader:reloader'), before, 'a restart is a reload too');
    assert.deepEqual(onHosts('cat /srv/reloader/shared/seen'), ['config v2', 'config v2']);
  });

  test("processRestart: 'one-at-a-time': numprocs 3 restarts process by process, never fewer than 2 RUNNING", async () => {
    artifact('numbered-v1', { VERSION: '1\n' });
    writeFileSync(path.join(project, 'tasks', 'numbered.ts'), numberedTask('1'));
    const deployed = run('deploy', 'all', 'numbered');
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const host = fleet.addresses[0] ?? '';
    const workerPids = () =>
      [...openssh(fleet, host, 'supervisorctl status numbered:*').stdout.matchAll(/ pid (\d+),/g)].map((m) => m[1]);
    const before = workerPids();
    assert.equal(before.length, 3);
    const restarting = spawnConvoy(['-i', fleet.inventory, 'restart', 'all', 'numbered'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    });
    let finished = false;
    void restarting.closed.then(() => (finished = true));
    const running: number[] = [];
    while (!finished) {
      const status = openssh(fleet, host, 'supervisorctl status numbered:*').stdout;
      running.push((status.match(/ RUNNING /g) ?? []).length);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await restarting.closed, 0, restarting.stdout + restarting.stderr);
    assert.ok(running.length >= 5, `sampled ${running.length} times`);
    assert.ok(Math.min(...running) >= 2, `RUNNING counts sampled: ${running.join(',')}`);
    assert.ok(running.includes(2), 'a restart was seen in progress');
    const after = workerPids();
    assert.ok(
      after.every((pid, i) => pid !== before[i]),
      `every process restarted: ${before} -> ${after}`,
    );
  });
});
