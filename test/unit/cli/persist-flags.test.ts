// `--persist <d>` and `--no-persist` as the commands receive them: the last of the two given wins, as commander's
// `--color`/`--no-color` do. In process; `hosts` reads the inventory only, so nothing connects.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../../src/cli/main.ts';
import { buildProgram } from '../../../src/cli/program.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'convoy-persist-flags-'));
  await writeFile(path.join(dir, 'fleet.ini'), '[defaults]\npersist = 30s\n[host:web1]\naddress = 127.0.0.1\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The global `persist` value after parsing `flags` for `convoy hosts`. */
async function persistFlag(...flags: string[]): Promise<unknown> {
  const program = buildProgram({
    cwd: dir,
    env: {},
    setExitCode: () => {},
    stderr: () => {},
    stdout: () => {},
    interruption: { promise: new Promise(() => {}), requested: () => false, exitCode: () => 130 },
  });
  // A refused flag then fails the test instead of exiting the test process (commander's default).
  program.exitOverride();
  await program.parseAsync(['-i', path.join(dir, 'fleet.ini'), ...flags, 'hosts'], { from: 'user' });
  return program.opts().persist;
}

test('--persist <d> gives milliseconds, --no-persist false, neither undefined (the inventory decides)', async () => {
  assert.equal(await persistFlag('--persist', '45s'), 45_000);
  assert.equal(await persistFlag('--no-persist'), false);
  assert.equal(await persistFlag(), undefined);
});

test('--persist and --no-persist together: the last one given wins', async () => {
  assert.equal(await persistFlag('--persist', '45s', '--no-persist'), false);
  assert.equal(await persistFlag('--no-persist', '--persist', '45s'), 45_000);
});

test('a bad --persist names the flag, the value and the range it shares with the inventory; exit 2', async () => {
  let stderr = '';
  const code = await run(['-i', path.join(dir, 'fleet.ini'), '--persist', '2h', 'hosts'], {
    env: {},
    stderr: (t) => {
      stderr += t;
    },
  });
  assert.equal(code, 2);
  assert.match(stderr, /--persist <duration>' argument '2h' is invalid\. expected a duration above 0, at most 1h/);
});
