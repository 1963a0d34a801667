// The persist process's kept shell (src/ssh/kept-shell.ts) against a real sshd: reads marked `keptShell` run in one
// shell kept on the host, other commands in sessions of their own; a kept shell that dies is replaced unseen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Server } from 'node:net';
import { KnownHostsStore } from '../../src/ssh/known-hosts-store.ts';
import { MuxedConnection, takeLease } from '../../src/ssh/mux/client.ts';
import { serveMux } from '../../src/ssh/mux/daemon.ts';
import { scriptShell, stepScript } from '../../src/shell/script.ts';
import { integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('the kept shell of the persist process, on a real host', { skip }, () => {
  let fleet: TestFleet;
  let dir: string;
  let server: Server;
  let host: MuxedConnection;
  let ended: Promise<void>;
  let lease: { release(): void } | undefined;

  before(async () => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.51.1' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-kept-'));
    const socketPath = path.join(dir, 'persist.sock');
    // Held by a lease while the tests run; once released, idle for 0.5 s, it ends (and its connection with it).
    ended = new Promise<void>((resolve) => (server = serveMux(socketPath, 500, resolve, [])));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    lease = await takeLease(socketPath, () => undefined);
    const target = { name: 'k1', address: fleet.addresses[0]!, port: 22, user: 'root', identityFiles: [fleet.keyFile] };
    const settings = {
      knownHosts: new KnownHostsStore([]),
      knownHostsFile: fleet.knownHosts,
      acceptNewHostKeys: false,
      connectTimeoutMs: 10_000,
      serverAliveIntervalMs: 0,
      homeDir: dir,
    };
    host = new MuxedConnection(target, settings, socketPath, () => Promise.reject(new Error('no direct here')));
    await host.check();
  });
  after(async () => {
    lease?.release();
    if (server) await ended;
    fleet?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const read = async (script: string, keptShell = true) => {
    const r = await host.exec(scriptShell, { stdin: stepScript(script), keptShell });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };

  test('reads run in one shell kept on the host; a command not marked so gets a session of its own', async () => {
    const first = await read('echo "$$"; echo warn >&2; exit 3');
    assert.equal(first.code, 3);
    assert.equal(first.stderr, 'warn\n');
    const second = await read('echo "$$"');
    assert.equal(second.stdout, first.stdout, 'the same shell answered both reads');
    const alive = openssh(fleet, fleet.addresses[0]!, `cat /proc/${first.stdout.trim()}/cmdline | tr '\\0' ' '`);
    assert.equal(alive.stdout.trim(), 'sh -s');
    const own = await read('echo "$$"', false);
    assert.notEqual(own.stdout, first.stdout);
    assert.notEqual((await read('echo "$$"', false)).stdout, own.stdout);
  });

  test('a kept shell killed on the host: the next read still answers, and a new shell is kept', async () => {
    const pid = (await read('echo "$$"')).stdout.trim();
    assert.equal(openssh(fleet, fleet.addresses[0]!, `kill -9 ${pid}`).code, 0);
    const next = await read('echo "$$"; printf tail');
    assert.equal(next.code, 0);
    assert.match(next.stdout, /^\d+\ntail$/);
    const again = await read('echo "$$"');
    assert.notEqual(again.stdout.trim(), pid);
    assert.equal((await read('echo "$$"')).stdout, again.stdout);
  });

  test('a read abandoned by its caller (a step timeout) ends the kept shell; the next read gets a new one', async () => {
    const pid = (await read('echo "$$"')).stdout.trim();
    const limit = new AbortController();
    const stuck = host.exec(scriptShell, { stdin: stepScript('sleep 3'), keptShell: true, signal: limit.signal });
    setTimeout(() => limit.abort(new Error('step timed out')), 300);
    await assert.rejects(stuck, /step timed out/);
    const after = (await read('echo "$$"')).stdout.trim();
    assert.notEqual(after, pid);
    assert.equal((await read('echo "$$"')).stdout.trim(), after, 'a new shell is kept');
    // Its channel is closed: the old shell reads the end of its input once its command ends (sshd refuses signal
    // requests for a root login, "session signalling requires privilege separation", so the command runs to its end,
    // as an abandoned exec channel's does).
    const gone = () => openssh(fleet, fleet.addresses[0]!, `test -e /proc/${pid}`).code !== 0;
    for (let i = 0; i < 40 && !gone(); i++) await new Promise((r) => setTimeout(r, 250));
    assert.ok(gone(), `the abandoned shell ${pid} still runs`);
  });
});
