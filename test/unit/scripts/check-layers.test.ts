// `npm run lint` keeps the architecture: imports point one way, and nothing above the host session touches SSH.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkFile, src } from '../../../scripts/check-layers.ts';

const file = (folder: string) => path.join(src, folder, 'example.ts');
const root = path.resolve(import.meta.dirname, '../../..');

test('src/commands and src/deploy may not import ssh2 or src/ssh: they work through the host session', () => {
  for (const folder of ['commands', 'deploy']) {
    assert.match(checkFile(file(folder), "import ssh2 from 'ssh2';\n").join(), /not the SSH library/);
    assert.match(checkFile(file(folder), "import type { SFTPWrapper } from 'ssh2';\n").join(), /not the SSH library/);
    assert.match(checkFile(file(folder), "import { ConnectionPool } from '../ssh/pool.ts';\n").join(), /not src\/ssh/);
    assert.deepEqual(checkFile(file(folder), "import type { HostSession } from '../host/session.ts';\n"), []);
  }
  assert.deepEqual(checkFile(file('host'), "import { ConnectionPool } from '../ssh/pool.ts';\n"), []);
});

test('imports point one way: a lower layer may not import a higher one', () => {
  assert.match(
    checkFile(file('ssh'), "import { deployApp } from '../deploy/engine.ts';\n").join(),
    /points the wrong way/,
  );
  assert.match(checkFile(file('nowhere'), "import { x } from '../ssh/pool.ts';\n").join(), /has no rank/);
});

test('tsx is imported only on demand: a static import would load esbuild into every command', () => {
  // exec and status never read task files; tsx with esbuild behind it cost them ~80 ms of CPU a run.
  assert.match(checkFile(file('tasks'), "import { register } from 'tsx/esm/api';\n").join(), /only on demand/);
  assert.match(checkFile(file('commands'), "export { register } from 'tsx/esm/api';\n").join(), /only on demand/);
  assert.deepEqual(checkFile(file('tasks'), "const { register } = await import('tsx/esm/api');\n"), []);
  assert.deepEqual(checkFile(file('tasks'), "import type { Namespace } from 'tsx/esm/api';\n"), []);
});

test('the whole tree passes the layer check', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-layers.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

test('prettier --check, as npm run lint runs it, fails on an unformatted file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-format-'));
  try {
    const ugly = path.join(dir, 'ugly.ts');
    writeFileSync(ugly, 'export const x   =  {a:1,b:"two"}\n');
    const prettier = path.join(root, 'node_modules', '.bin', 'prettier');
    const config = path.join(root, '.prettierrc.json');
    const r = spawnSync(prettier, ['--check', '--config', config, ugly], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    writeFileSync(ugly, "export const x = { a: 1, b: 'two' };\n");
    assert.equal(spawnSync(prettier, ['--check', '--config', config, ugly]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
