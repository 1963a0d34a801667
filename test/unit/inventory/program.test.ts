import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConvoyError, ExitCode, ValidationError } from '../../../src/errors.ts';
import { loadInventory } from '../../../src/inventory/load.ts';
import {
  defaultProgramTimeoutMs,
  isInventoryProgram,
  programFailure,
  programTimeoutMs,
} from '../../../src/inventory/program.ts';

function script(dir: string, name: string, body: string, mode = 0o755): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

const home = mkdtempSync(path.join(os.tmpdir(), 'convoy-home-'));
const options = { homeDir: home, sshConfigFile: path.join(home, 'none') };

test("Ansible's rule: executable and not *.ini is run; anything else is read", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-inv-'));
  assert.ok(isInventoryProgram(script(dir, 'aws.sh', 'true')));
  assert.ok(isInventoryProgram(script(dir, 'aws', 'true', 0o700)));
  assert.ok(!isInventoryProgram(script(dir, 'prod.ini', 'true')));
  assert.ok(!isInventoryProgram(script(dir, 'prod.INI', 'true')));
  assert.ok(!isInventoryProgram(script(dir, 'text', 'true', 0o644)));
  mkdirSync(path.join(dir, 'd'));
  assert.ok(!isInventoryProgram(path.join(dir, 'd')));
  assert.ok(!isInventoryProgram(path.join(dir, 'missing')));
});

test('its stdout is parsed as a file would be, run in its own directory; problems name the program and line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-inv-'));
  writeFileSync(path.join(dir, 'hosts.txt'), '[host:web1]\naddress = 10.0.0.1\n');
  const good = script(dir, 'inv.sh', 'cat hosts.txt');
  assert.deepEqual(
    loadInventory(good, options).hosts.map((h) => [h.name, h.address]),
    [['web1', '10.0.0.1']],
  );
  const bad = script(dir, 'bad.sh', 'echo "[host:web1]"; echo "prot = 22"; echo oops');
  assert.throws(
    () => loadInventory(bad, options),
    (e: unknown) => e instanceof ValidationError && /bad\.sh:3: \[host:web1\] 'oops' is not a setting/.test(e.message),
  );
});

test('a non-zero exit, a signal or a timeout is exit 2 with the end of its stderr', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-inv-'));
  const fails = script(dir, 'fails.sh', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i" >&2; done; exit 3');
  assert.throws(
    () => loadInventory(fails, options),
    (e: unknown) =>
      e instanceof ConvoyError &&
      e.exitCode === ExitCode.badInput &&
      /fails\.sh exited with code 3/.test(e.message) &&
      /line 12/.test(e.message) &&
      !/line 2\n/.test(e.message),
  );
  const slow = script(dir, 'slow.sh', 'sleep 5');
  assert.throws(
    () => loadInventory(slow, { ...options, programTimeoutMs: 200 }),
    (e: unknown) => e instanceof ConvoyError && /did not finish within 0\.2s/.test(e.message),
  );
  assert.equal(
    programFailure({ error: undefined, status: null, signal: 'SIGKILL' }, 1),
    'was killed by signal SIGKILL',
  );
});

test('CONVOY_INVENTORY_TIMEOUT: a duration, else 30 s; a bad value is bad input', () => {
  assert.equal(programTimeoutMs({}), defaultProgramTimeoutMs);
  assert.equal(programTimeoutMs({ CONVOY_INVENTORY_TIMEOUT: '2m' }), 120_000);
  assert.equal(programTimeoutMs({ CONVOY_INVENTORY_TIMEOUT: '5' }), 5000);
  assert.throws(() => programTimeoutMs({ CONVOY_INVENTORY_TIMEOUT: 'soon' }), /CONVOY_INVENTORY_TIMEOUT: expected/);
});
