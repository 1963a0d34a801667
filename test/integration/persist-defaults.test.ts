// The inventory's `persist` (issue 19): `persist = 30s` in [defaults] starts the background process as `--persist
// 30s` does, for every connecting command; `--no-persist` keeps a run off it; `--persist <d>` wins; a bad value
// touches no host. Each test has a HOME of its own, so the user's real ~/.convoy is never used.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { persistSocketPath } from '../../src/host/fleet.ts';
import { persistPid, sshPortsOf } from './support/persist.ts';
import { convoy, integrationSkipReason, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

/** Stops the persist process a test started (by its pid file), and waits for it to end. */
async function stopPersist(home: string): Promise<void> {
  const pid = persistPid(home);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; persistPid(home) !== undefined && waited < 3000; waited += 50)
    await new Promise((r) => setTimeout(r, 50));
}

/** Whether something accepts connections on the persist socket of a HOME. */
function socketAnswers(home: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(persistSocketPath(home));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('persist in [defaults] on 2 hosts', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  const homes: string[] = [];
  const inventory = (defaults: string) => {
    const file = path.join(work, `fleet-${homes.length}.ini`);
    writeFileSync(
      file,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n${defaults}\n\n` +
        fleet.addresses.map((a, i) => `[host:d${i + 1}]\naddress = ${a}\n`).join('\n'),
    );
    return file;
  };
  const newHome = () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'convoy-pdef-'));
    homes.push(home);
    return home;
  };
  const run = (home: string, file: string, ...args: string[]) =>
    convoy(['-i', file, ...args], { env: { HOME: home, SSH_AUTH_SOCK: '' } });

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.48.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-pdef-work-'));
  });
  after(async () => {
    for (const home of homes) {
      await stopPersist(home);
      rmSync(home, { recursive: true, force: true });
    }
    fleet?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('persist = 30s and no flag: the run leaves a persist process whose socket answers; the next command reuses it', async () => {
    const home = newHome();
    const file = inventory('persist = 30s');
    const first = run(home, file, 'exec', 'all', '--', 'true');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const pid = persistPid(home);
    assert.ok(pid, 'a persist process runs after the run');
    assert.ok(await socketAnswers(home), 'its socket answers');
    const ports = sshPortsOf(pid);
    assert.equal(ports.length, 2, `it holds one connection per host: ${ports.join(' ')}`);
    const second = run(home, file, 'status', 'all');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(persistPid(home), pid, 'the same process');
    assert.deepEqual(sshPortsOf(pid), ports, 'the same connections, no new handshake');
    await stopPersist(home);
    assert.equal(persistPid(home), undefined, 'stopped by its pid file');
  });

  test('--no-persist: the run connects directly and starts no persist process', async () => {
    const home = newHome();
    const r = run(home, inventory('persist = 30s'), '--no-persist', 'exec', 'all', '--', 'true');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 hosts: 2 ok/);
    assert.equal(persistPid(home), undefined, 'no persist process');
    assert.equal(existsSync(persistSocketPath(home)), false, 'no socket');
    assert.equal(await socketAnswers(home), false);
  });

  test("--persist 1s wins over the inventory's 30s: the process ends after 1 s idle", async () => {
    const home = newHome();
    const r = run(home, inventory('persist = 30s'), '--persist', '1s', 'status', 'all');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(persistPid(home), 'a persist process runs');
    for (let waited = 0; persistPid(home) !== undefined && waited < 8000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(persistPid(home), undefined, 'ended within 8 s: the idle time was the flag’s 1 s, not 30 s');
  });

  test('a bad persist value: exit 2 naming file, line, key and value; no host touched, no persist process', () => {
    const home = newHome();
    const file = inventory('persist = 2h');
    const r = run(home, file, 'exec', 'all', '--', 'touch /tmp/convoy-pdef-touched');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `${file}:5: [defaults] persist: '2h' is not valid (expected no, or a duration above 0, at most 1h`,
      ),
      r.stderr,
    );
    assert.equal(existsSync(path.join(home, '.convoy')), false, 'no persist directory, no process');
    const touched = run(home, inventory(''), 'exec', 'all', '--', 'test ! -e /tmp/convoy-pdef-touched');
    assert.equal(touched.code, 0, `no host ran the command: ${touched.stdout}`);
  });
});
