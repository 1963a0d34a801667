// The README's first command, exactly as written: it must end with every program RUNNING on every sandbox host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { convoy, integrationSkipReason, repoRoot } from './support/sandbox.ts';

const ownSandbox = path.join(repoRoot, '.convoy', 'sandbox', 'state.json');
// The demo uses the default sandbox; never take over one that a developer has up.
const skip =
  integrationSkipReason() ??
  (existsSync(ownSandbox) && !process.env.CI
    ? 'a sandbox fleet is up in .convoy/sandbox (the demo would reuse it)'
    : undefined);

after(() => {
  if (!skip) convoy(['sandbox', 'down']);
});

test(
  'npm run demo: sandbox, setup, deploy, rolling restart, and a status table of RUNNING programs',
  { skip, timeout: 300_000 },
  () => {
    const readme = spawnSync('grep', ['-m1', '^npm run demo', path.join(repoRoot, 'README.md')], {
      encoding: 'utf8',
    }).stdout;
    assert.match(readme, /^npm run demo\b/, 'the README quick start names `npm run demo`');
    const r = spawnSync('npm', ['run', 'demo'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 280_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
    const status = r.stdout.slice(r.stdout.lastIndexOf('convoy status: every program on every host'));
    for (const host of ['sandbox-1', 'sandbox-2', 'sandbox-3'])
      assert.match(status, new RegExp(`^${host} +hello:web +RUNNING +\\d+`, 'm'));
    assert.match(status, /^3 programs on 3 hosts: 3 RUNNING$/m);
    assert.match(r.stdout, /^3 hosts: 3 ok, 0 failed, 0 unreachable, 0 skipped \(\d+\.\ds\)$/m);
  },
);
