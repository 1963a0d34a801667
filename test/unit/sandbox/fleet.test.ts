// `sandbox down` as root removes the state dir it was given, never one named inside a (copied or edited) state file,
// and signals only processes started for that dir.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { sandboxDown } from '../../../src/sandbox/fleet.ts';
import { isSameProcess, processStartTime } from '../../../src/sandbox/processes.ts';
import type { HostState, SandboxState } from '../../../src/sandbox/state.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-sandbox-down-'));

/** A state dir whose state.json records `recordedDir` as the fleet's dir (a fleet with no host left running). */
function stateDir(name: string, recordedDir?: string, hosts: HostState[] = []): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  const state: SandboxState = {
    version: 1,
    createdAt: '2026-12-01T00:00:00.000Z',
    bare: false,
    stateDir: recordedDir ?? dir,
    inventoryFile: path.join(dir, 'sandbox.ini'),
    clientKeyFile: path.join(dir, 'client_ed25519'),
    knownHostsFile: path.join(dir, 'known_hosts'),
    hosts,
  };
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}

test('down removes the state dir it was given', async () => {
  const dir = stateDir('own');
  const result = await sandboxDown(dir);
  assert.deepEqual([result.found, result.stopped], [true, 0]);
  assert.equal(existsSync(dir), false);
});

test('a state.json that names another dir is refused: that dir and the given one are left as they are', async () => {
  const victim = path.join(work, 'victim');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'precious'), 'keep me');
  const copied = stateDir('copied', victim);
  await assert.rejects(sandboxDown(copied), (error) => {
    assert.ok(error instanceof UsageError);
    assert.equal(
      error.message,
      `${path.join(copied, 'state.json')} records the state dir ${victim}, not ${copied}: a copied or edited state file. ` +
        'Nothing was stopped or removed.',
    );
    return true;
  });
  assert.ok(existsSync(path.join(victim, 'precious')), 'the dir named in the state file is untouched');
  assert.ok(existsSync(path.join(copied, 'state.json')), 'the given dir is untouched');
});

test('a state.json that names the same dir by another spelling is the same dir', async () => {
  const dir = path.join(work, 'spelled');
  stateDir('spelled', `${work}/./spelled/`);
  assert.equal((await sandboxDown(dir)).found, true);
  assert.equal(existsSync(dir), false);
});

test('a recorded process that is not a host of this state dir is never signalled', async () => {
  // An edited state.json may name any process (its PID and start time are public in /proc): root must not kill it.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const pid = stranger.pid as number;
    const recorded = { pid, startTime: processStartTime(pid) as string };
    const host: HostState = {
      name: 'sandbox-1',
      address: '127.0.20.1',
      port: 22,
      dir: '/x',
      unshare: recorded,
      init: null,
    };
    const dir = stateDir('edited', undefined, [host]);
    await sandboxDown(dir);
    assert.ok(isSameProcess(recorded), 'the process still runs');
    assert.equal(existsSync(dir), false);
  } finally {
    stranger.kill('SIGKILL');
  }
});
