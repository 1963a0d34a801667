// Round trips per host (docs/deploy.md, "Round trips"), counted by the session (`CONVOY_COUNT_ROUND_TRIPS=1`), so
// that a step added to a run fails here: an unchanged deploy costs 1 command and 1 supervisord call per host (and writes nothing), a status
// 1 call, a plan 1 and 1; a warm `--persist` deploy logs in to no host at all, even when it uploads (sshd's log says so).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { persistSocketPath } from '../../src/host/fleet.ts';
import { shellQuote } from '../../src/shell/quote.ts';
import { parseRoundTripLines } from '../../src/host/round-trips.ts';
import type { RoundTrips } from '../../src/host/round-trips.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'trips',
  root: '/srv/trips',
  artifact: 'build/trips',
  programs: { trips: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

/** Logins sshd accepted on each host so far (its log, in the sandbox's state directory). */
function logins(fleet: TestFleet): number[] {
  return fleet.addresses.map((_, i) => {
    const log = path.join(fleet.stateDir, 'hosts', String(i + 1), 'sshd.log');
    return existsSync(log) ? readFileSync(log, 'utf8').split('Accepted publickey').length - 1 : 0;
  });
}

describe('round trips per host', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let home: string;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}): CliResult =>
    convoy(['-i', 'fleet.ini', ...args], {
      cwd: project,
      env: { HOME: home, SSH_AUTH_SOCK: '', CONVOY_COUNT_ROUND_TRIPS: '1', ...env },
    });
  /** Each host's round trips in a run that must succeed. */
  const trips = (args: string[]): Map<string, RoundTrips> => {
    const r = run(args);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = parseRoundTripLines(r.stderr);
    assert.equal(counts.size, fleet.addresses.length, r.stderr);
    return counts;
  };
  const version = (v: string) => writeFileSync(path.join(project, 'build', 'trips', 'VERSION'), `${v}\n`);

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.45.1' });
    project = userProject('round-trips');
    home = mkdtempSync(path.join(os.tmpdir(), 'convoy-trips-home-'));
    writeFileSync(path.join(project, 'tasks', 'trips.ts'), task);
    mkdirSync(path.join(project, 'build', 'trips'), { recursive: true });
    const ini =
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:t${i + 1}]\naddress = ${a}\n`).join('\n');
    writeFileSync(path.join(project, 'fleet.ini'), ini);
  });
  after(() => {
    // The persist process of this test's HOME only (its pid file), then the fleet.
    const pidFile = `${persistSocketPath(home)}.pid`;
    if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
    fleet?.down();
    rmSync(home, { recursive: true, force: true });
  });

  test('a first deploy: at most 7 commands; then an unchanged deploy: 1 command and 1 supervisord call per host, nothing written', () => {
    version('1');
    for (const [host, c] of trips(['deploy', 'all', 'trips'])) {
      // supervisord.conf with the ownership read, lock+state+dirs, which objects (a directory artifact), unpack+rename,
      // switch, write conf, record with the prune and unlock: 7 commands (was 14); supervisord calls depend on how
      // long the gate polls.
      assert.ok(c.exec <= 7, `${host}: ${JSON.stringify(c)}`);
      assert.equal(c.files, 1, host);
    }
    // What an unchanged deploy could change on a host: its app root's entries (a lock dir) and the record's bytes.
    const footprint = () =>
      fleet.addresses.map(
        (a) => openssh(fleet, a, 'ls -a /srv/trips /srv/trips/.convoy; cat /srv/trips/.convoy/deploys.jsonl').stdout,
      );
    const before = footprint();
    for (const [host, c] of trips(['deploy', 'all', 'trips'])) {
      // supervisord.conf with the ownership read, and the app's processes: nothing to change, so no lock and no more.
      assert.deepEqual(c, { exec: 1, rpc: 1, files: 0 }, host);
    }
    assert.deepEqual(footprint(), before, 'an unchanged deploy wrote on a host');
  });

  test('a lock left on a host sends it the locked way: the lock is taken (and broken), then the host is unchanged', () => {
    const owner = '/srv/trips/.convoy-lock';
    // A run of this machine whose process is gone: the deploy breaks its lock with a notice (src/deploy/lock.ts).
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const gone = spawnSync('true').pid;
    const line = JSON.stringify({
      token: 'gone',
      user: 'x',
      machine: os.hostname(),
      pid: gone,
      since: '',
      command: 'x',
      bootId,
    });
    const address = fleet.addresses[0]!;
    assert.equal(openssh(fleet, address, `mkdir ${owner} && echo ${shellQuote(line)} > ${owner}/owner`).code, 0);
    const r = run(['deploy', 'all', 'trips']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = parseRoundTripLines(r.stderr);
    assert.ok((counts.get('t1')?.exec ?? 0) > 1, JSON.stringify([...counts]));
    assert.deepEqual(counts.get('t2'), { exec: 1, rpc: 1, files: 0 });
    assert.match(r.stdout, /^t1 +trips +\S+ +unchanged/m);
    assert.notEqual(openssh(fleet, address, `test -e ${owner}`).code, 0, 'the lock is still there');
  });

  test('an unchanged host whose shared dir or file went missing takes the locked way, which remakes or refuses it', () => {
    const kept = task
      .replaceAll('trips', 'kept')
      .replace('programs:', "shared: { dirs: ['data'], files: ['config/local.json'] },\n  programs:");
    writeFileSync(path.join(project, 'tasks', 'kept.ts'), kept);
    mkdirSync(path.join(project, 'build', 'kept'), { recursive: true });
    writeFileSync(path.join(project, 'build', 'kept', 'VERSION'), '1\n');
    for (const a of fleet.addresses)
      openssh(fleet, a, 'mkdir -p /srv/kept/shared/config && echo {} > /srv/kept/shared/config/local.json');
    trips(['deploy', 'all', 'kept']);
    assert.deepEqual(trips(['deploy', 'all', 'kept']).get('t1'), { exec: 1, rpc: 1, files: 0 });
    const [first, second] = fleet.addresses as [string, string];
    openssh(fleet, first, 'rmdir /srv/kept/shared/data');
    openssh(fleet, second, 'rm /srv/kept/shared/config/local.json');
    const r = run(['deploy', 'all', 'kept']);
    assert.notEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /missing shared file: \/srv\/kept\/shared\/config\/local\.json/);
    assert.equal(openssh(fleet, first, 'test -d /srv/kept/shared/data').code, 0, 'the shared dir was not made again');
  });

  test('status: one supervisord call per host; plan: one command and one call', () => {
    for (const [host, c] of trips(['status'])) assert.deepEqual(c, { exec: 0, rpc: 1, files: 0 }, host);
    for (const [host, c] of trips(['plan'])) assert.deepEqual(c, { exec: 1, rpc: 1, files: 0 }, host);
  });

  test('a warm --persist deploy logs in to no host', () => {
    trips(['--persist', '5m', 'deploy', 'all', 'trips']);
    const warm = logins(fleet);
    assert.ok(
      warm.every((n) => n > 0),
      `sshd logs: ${warm.join(', ')}`,
    );
    trips(['--persist', '5m', 'deploy', 'all', 'trips']);
    trips(['--persist', '5m', 'status']);
    assert.deepEqual(logins(fleet), warm);
  });

  test('a warm --persist deploy of a new release uploads through the persist process: still no login', () => {
    const warm = logins(fleet);
    version('persisted');
    for (const [host, c] of trips(['--persist', '5m', 'deploy', 'all', 'trips'])) assert.equal(c.files, 1, host);
    assert.deepEqual(logins(fleet), warm, 'the upload opened a connection of its own');
  });
});
