import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { sudoPasswordOf } from '../../../src/commands/fleet-context.ts';
import type { FleetContextOptions } from '../../../src/commands/fleet-context.ts';
import { UsageError } from '../../../src/errors.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-sudopass-'));
const options = (sudoPassFile?: string): FleetContextOptions => ({
  globals: { inventory: 'i.ini', tasks: 'tasks', json: false, color: false, ...(sudoPassFile ? { sudoPassFile } : {}) },
  cwd: dir,
  env: {},
});
const file = (name: string, text: string, mode: number) => {
  writeFileSync(path.join(dir, name), text);
  chmodSync(path.join(dir, name), mode);
  return name;
};

test('--sudo-pass-file: the first line, as a value that prints as its name only', () => {
  const password = sudoPasswordOf(options(file('ok', 'pa ss\r\nsecond line\n', 0o600)));
  assert.equal(password?.reveal(), 'pa ss');
  assert.equal(`${String(password)} ${JSON.stringify(password)} ${inspect(password)}`.includes('pa ss'), false);
  assert.equal(sudoPasswordOf(options()), undefined);
});

test('--sudo-pass-file: readable by others, empty or missing is bad input naming the file and what was expected', () => {
  assert.throws(
    () => sudoPasswordOf(options(file('loose', 'x\n', 0o640))),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(
        e.message,
        /--sudo-pass-file loose: mode 0640 lets others read it; expected 0600 or stricter \(chmod 600 loose\)/,
      );
      return true;
    },
  );
  assert.throws(
    () => sudoPasswordOf(options(file('empty', '\nx\n', 0o400))),
    /its first line is empty; expected the sudo password/,
  );
  assert.throws(() => sudoPasswordOf(options('absent')), /--sudo-pass-file absent: cannot read it \(ENOENT\)/);
});
