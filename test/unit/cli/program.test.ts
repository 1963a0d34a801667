// The flags program.ts declares, as the commands receive them; in process, and nothing connects.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { run } from '../../../src/cli/main.ts';

const defineUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/tasks/define.ts')).href;
const appFile = (spec: string) => `import { defineApp } from '${defineUrl}';\nexport default defineApp(${spec});\n`;

// A project where commands fail only once their flags are read: `deploy` finds an app with no artifact, and
// `restart --tasks broken` an app with no root. Paths are absolute: the tasks directory is loaded from the
// process's own working directory, whatever `run` is given as cwd.
let project: string;
before(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'convoy-flags-'));
  await writeFile(path.join(project, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(project, 'fleet.ini'), '[host:web1]\naddress = 127.0.0.1\n');
  await mkdir(path.join(project, 'tasks'));
  await writeFile(
    path.join(project, 'tasks', 'web.ts'),
    appFile("{ name: 'web', root: '/srv/web', programs: { web: { command: 'run' } } }"),
  );
  await mkdir(path.join(project, 'broken'));
  await writeFile(path.join(project, 'broken', 'web.ts'), appFile("{ name: 'web' }"));
});
after(async () => {
  await rm(project, { recursive: true, force: true });
});

// The project's inventory and tasks, as global flags.
const inProject = () => ['-i', path.join(project, 'fleet.ini'), '--tasks', path.join(project, 'tasks')];

async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await run(argv, {
    env: {},
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stderr };
}

test('--pause takes bare seconds as --timeout does: deploy and restart accept --pause 10', async () => {
  const deploy = await cli(...inProject(), 'deploy', 'web1', '--pause', '10');
  assert.doesNotMatch(deploy.stderr, /--pause/);
  assert.match(deploy.stderr, /app 'web' has no artifact to deploy/);
  const restart = await cli(
    ...inProject(),
    '--tasks',
    path.join(project, 'broken'),
    'restart',
    'web1',
    '--pause',
    '10',
  );
  assert.doesNotMatch(restart.stderr, /--pause/);
  assert.match(restart.stderr, /broken\/web\.ts/);
});

test('a bad --pause names the flag, the value and what was expected; exit 2', async () => {
  const r = await cli(...inProject(), 'restart', 'web1', '--pause', 'soon');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /option '--pause <duration>' argument 'soon' is invalid\. expected a duration of at most 596h \(seconds, or a number with a unit: '10', '500ms', '2\.5s', '1m'\), got 'soon'/,
  );
});

test('status --watch takes a duration: 2s, 2 or nothing (2 s); a missing inventory is the next problem', async () => {
  const missing = path.join(project, 'missing.ini');
  for (const watch of [['--watch', '2s'], ['--watch', '2'], ['--watch', '500ms'], ['--watch'], ['-w', '1m']]) {
    const r = await cli('-i', missing, 'status', 'web1', ...watch);
    assert.doesNotMatch(r.stderr, /watch/, watch.join(' '));
    assert.match(r.stderr, /inventory '.*missing\.ini' not found/, watch.join(' '));
  }
});

test('a bad --watch names the flag, the value and the range (0.2 s to 1 h); exit 2', async () => {
  const expected =
    "expected a duration from 0.2s to 1h \\(seconds, or a number with a unit: '10', '500ms', '2\\.5s', '1m'\\)";
  for (const value of ['0.1', '2h', 'soon', '0']) {
    const r = await cli('-i', path.join(project, 'missing.ini'), 'status', '--watch', value);
    assert.equal(r.code, 2, value);
    assert.match(
      r.stderr,
      new RegExp(`option '-w, --watch \\[seconds\\]' argument '${value}' is invalid\\. ${expected}, got '${value}'`),
      value,
    );
  }
});

test('--rolling and --max-fail take n or n%', async () => {
  const r = await cli(...inProject(), 'deploy', 'web1', '--rolling', '25%', '--canary', '1', '--max-fail', '1');
  assert.match(r.stderr, /app 'web' has no artifact to deploy/);
});

test('a bad --rolling or --max-fail names the flag, the value and what was expected, before the inventory is read', async () => {
  const missing = ['-i', path.join(project, 'missing.ini')];
  const expected = "expected a whole number of hosts like 2, or a percentage like '25%'";
  for (const [command, flag, value] of [
    ['deploy', '--rolling', 'half'],
    ['deploy', '--max-fail', '120%'],
    ['restart', '--rolling', '-1'],
    ['stop', '--max-fail', 'all'],
  ] as const) {
    const r = await cli(...missing, command, 'web1', flag, value);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(`option '${flag} <n|n%>' argument '${value}' is invalid. ${expected}, got '${value}'`),
      r.stderr,
    );
  }
});
