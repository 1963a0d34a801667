#!/usr/bin/env node
// Runs the test files with node's built-in runner (TypeScript through tsx).
// Usage: node scripts/run-tests.js [unit|integration|scale] [name-filter]
// Unit tests always run; integration tests need root, sshd and supervisord (see .ci/run) and are skipped with a
// notice elsewhere, so that a laptop without them still gets a green unit run. `scale` (200 hosts, minutes) runs
// only when named (`npm run test:scale`): it is kept out of CI's 30 minutes, as the benchmark is.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const [suite, filter] = process.argv.slice(2);
const suites = ['unit', 'integration', 'scale'].includes(suite) ? [suite] : ['unit', 'integration'];

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((f) => !filter || f.includes(filter))
    .sort();
}

const files = suites.flatMap((s) => testFiles(path.join(root, 'test', s)));
if (files.length === 0) {
  console.error(`no test files found for ${suites.join(' + ')}${filter ? ` matching '${filter}'` : ''}`);
  process.exit(1);
}
/** True while the test process that started a fleet still runs (another run's fleet must be left alone). */
function ownerAlive(dir) {
  try {
    process.kill(Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

// Fleets left by an earlier run that was killed before its `after` hooks (test state dirs are named convoy-it-*).
if (suites.includes('integration') || suites.includes('scale')) {
  for (const entry of readdirSync(os.tmpdir()).filter((e) => e.startsWith('convoy-it-'))) {
    const stateDir = path.join(os.tmpdir(), entry, 'sandbox');
    if (!existsSync(path.join(stateDir, 'state.json')) || ownerAlive(path.join(os.tmpdir(), entry))) continue;
    console.error(`run-tests: stopping a sandbox fleet left by an earlier run in ${stateDir}`);
    spawnSync(process.execPath, [path.join(root, 'bin', 'convoy.js'), 'sandbox', 'down', '--state-dir', stateDir], {
      stdio: 'inherit',
    });
  }
}

// Two files at a time (CONVOY_TEST_JOBS=1 for one): each integration file has its own address range and state dir,
// so two can run side by side, and much of their time is waiting on supervisord (startsecs, health checks), not
// CPU. One at a time, CI's tests took 28 of its 30 minutes (2026-12-02).
const jobs = Math.max(1, Number(process.env.CONVOY_TEST_JOBS) || 2);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${jobs}`, '--test-reporter=spec', ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
