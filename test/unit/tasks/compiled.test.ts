// Task files imported from a bundle (src/tasks/compiled.ts): reused while their inputs are unchanged, made again when
// one changes, and left to tsx where a bundle would change what the file means.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundleDirFor, needsTsx } from '../../../src/tasks/compiled.ts';
import { loadTasks } from '../../../src/tasks/load.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'convoy-bundled-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A project with node_modules/convoy (this repo, as a user's install), its task files given by name and source. */
async function project(name: string, files: Record<string, string>): Promise<{ tasks: string; cache: string }> {
  const root = path.join(scratch, name);
  await mkdir(path.join(root, 'tasks', 'lib'), { recursive: true });
  await mkdir(path.join(root, 'node_modules'), { recursive: true });
  await symlink(repo, path.join(root, 'node_modules', 'convoy'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, 'tasks', file), text);
  return { tasks: path.join(root, 'tasks'), cache: path.join(root, 'node_modules', '.cache', 'convoy', 'tasks') };
}

const task = (body: string) =>
  `import { defineApp } from 'convoy';\nimport { port } from './lib/port.ts';\n${body}\n` +
  `export default defineApp({ name: 'web', root: '/srv/web', programs: { web: { command: 'run ' + port } } });\n`;

test('a task file and its local imports load from one bundle, reused while no input changed', async () => {
  const { tasks, cache } = await project('reused', {
    'web.ts': task(''),
    'lib/port.ts': 'export const port = 8080;\n',
  });
  const first = await loadTasks(tasks);
  assert.equal(first.apps[0]?.spec.programs[0]?.command, 'run 8080');
  const [bundle] = readdirSync(cache).filter((f) => f.endsWith('.mjs'));
  assert.ok(bundle, 'a bundle was written');
  const made = statSync(path.join(cache, bundle)).mtimeMs;
  await loadTasks(tasks);
  assert.equal(statSync(path.join(cache, bundle)).mtimeMs, made, 'the bundle was not made again');
  // A change in an imported file (not the task file itself) makes it again; each load is a fresh module.
  await writeFile(path.join(tasks, 'lib', 'port.ts'), 'export const port = 9090;\n');
  assert.equal((await loadTasks(tasks)).apps[0]?.spec.programs[0]?.command, 'run 9090');
});

test('a file that looks at its own location is loaded by tsx: import.meta.url is its own', async () => {
  const source =
    "import { defineApp } from 'convoy';\nconst here = new URL(import.meta.url).pathname;\n" +
    "export default defineApp({ name: 'web', root: '/srv/web', programs: { web: { command: 'run ' + here } } });\n";
  const { tasks, cache } = await project('located', { 'web.ts': source });
  const loaded = await loadTasks(tasks);
  assert.equal(loaded.apps[0]?.spec.programs[0]?.command, `run ${path.join(tasks, 'web.ts')}`);
  // Judged once and remembered: the next run goes to tsx without building anything.
  const files = readdirSync(cache);
  assert.deepEqual(files.filter((f) => f.endsWith('.json')).length, 1);
});

// In a process of its own without tsx's hooks (this test process has them), from the build, as `convoy` runs.
const builtLoad = path.join(repo, 'dist', 'tasks', 'load.js');
test(
  'a package whose entry is TypeScript (a workspace package) is imported through tsx',
  { skip: existsSync(builtLoad) ? false : 'dist/ is missing (npm run build)' },
  async () => {
    const { tasks } = await project('workspace', {
      'web.ts':
        "import { defineApp } from 'convoy';\nimport { port } from 'shared-ts';\n" +
        "export default defineApp({ name: 'web', root: '/srv/web', programs: { web: { command: 'run ' + port } } });\n",
    });
    const shared = path.join(tasks, '..', 'node_modules', 'shared-ts');
    await mkdir(shared, { recursive: true });
    await writeFile(
      path.join(shared, 'package.json'),
      '{ "name": "shared-ts", "type": "module", "main": "index.ts" }\n',
    );
    await writeFile(path.join(shared, 'index.ts'), 'export const port: number = 7070;\n');
    const script =
      `const { loadTasks } = await import(${JSON.stringify(pathToFileURL(builtLoad).href)});` +
      `const loaded = await loadTasks(${JSON.stringify(tasks)}); console.log(loaded.apps[0].spec.programs[0].command);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'run 7070');
  },
);

test('what a bundle would change sends a file to tsx; plain code does not', () => {
  for (const source of [
    'const u = import.meta.url',
    'const d = __dirname',
    'const m = await import("./x.ts")',
    'const x = require("x")',
    'module.exports = {}',
    'exports.app = 1',
  ])
    assert.ok(needsTsx(source), source);
  assert.ok(!needsTsx("import { defineApp } from 'convoy';\nexport default defineApp({ name: 'imports' });"));
});

test('the bundles live in the nearest node_modules above the tasks; none there, none made', async () => {
  const { tasks } = await project('where', {});
  assert.equal(bundleDirFor(tasks), path.join(scratch, 'where', 'node_modules', '.cache', 'convoy', 'tasks'));
  assert.equal(bundleDirFor('/'), undefined);
});
