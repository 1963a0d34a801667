import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { UsageError, ValidationError } from '../../../src/errors.ts';
import type { LoadedTasks, LoadOptions } from '../../../src/tasks/load.ts';
import { loadTasks } from '../../../src/tasks/load.ts';
import type { HostVars } from '../../../src/tasks/validate.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
const fixtures = path.join(repo, 'test/fixtures/tasks');
const defineUrl = pathToFileURL(path.join(repo, 'src/tasks/define.ts')).href;

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'convoy-tasks-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// A tasks directory in a fresh "project" (package.json with type module), files given by name and source.
async function project(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(scratch, name);
  await mkdir(path.join(root, 'tasks'), { recursive: true });
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, 'tasks', file), text);
  return path.join(root, 'tasks');
}

const header = `import { defineApp, defineTask } from '${defineUrl}';\n`;
const app = (name: string, extra = '') =>
  `defineApp({ name: '${name}', root: '/srv/${name}', programs: { ${name}: { command: 'run' } }${extra} })`;

async function failure(dir: string, options?: LoadOptions): Promise<ValidationError> {
  try {
    await loadTasks(dir, options);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error;
  }
  return assert.fail('expected a ValidationError');
}

function summary(loaded: LoadedTasks) {
  return {
    apps: loaded.apps.map((a) => [path.relative(fixtures, a.file), a.exportName, a.spec.name]),
    tasks: loaded.tasks.map((t) => [path.relative(fixtures, t.file), t.exportName, t.name, typeof t.run]),
  };
}

test('every branded export of every task file is loaded: .ts and .mjs, default and named exports', async () => {
  const loaded = await loadTasks(path.join(fixtures, 'basic'));
  assert.deepEqual(summary(loaded), {
    apps: [
      ['basic/web.ts', 'default', 'web'],
      ['basic/worker.mjs', 'default', 'worker'],
    ],
    tasks: [
      ['basic/web.ts', 'migrate', 'migrate', 'function'],
      ['basic/worker.mjs', 'vacuum', 'vacuum', 'function'],
    ],
  });
  const web = loaded.apps[0]?.spec;
  assert.equal(web?.healthcheck?.timeoutMs, 10_000);
  assert.equal(web?.programs[0]?.process_name, '%(program_name)s_%(process_num)02d');
});

test('the file path in results and messages is the directory as given plus the file name', async () => {
  const relative = path.relative(process.cwd(), path.join(fixtures, 'basic'));
  const loaded = await loadTasks(`${relative}/`);
  assert.equal(loaded.apps[0]?.file, path.join(relative, 'web.ts'));
});

test("a task's function runs with the context it is given", async () => {
  const loaded = await loadTasks(path.join(fixtures, 'basic'));
  const ran: string[] = [];
  const context = { run: async (command: string) => void ran.push(command) };
  await loaded.tasks[0]?.run(context as never);
  assert.deepEqual(ran, ['true']);
});

test("{{var}}s are checked against the hosts of each app's target", async () => {
  const seen: unknown[] = [];
  const fleet: HostVars[] = [
    { name: 'web1', vars: { port: '8080' } },
    { name: 'web2', vars: {} },
  ];
  const hostsFor: LoadOptions['hostsFor'] = (target) => {
    seen.push(target);
    return fleet;
  };
  const error = await failure(path.join(fixtures, 'basic'), { hostsFor });
  const file = path.join(fixtures, 'basic/web.ts');
  assert.deepEqual(error.problems, [
    `${file}: app 'web' programs.web.command: {{port}} is not defined on host web2 (defined on web1)`,
    `${file}: app 'web' healthcheck.http: {{port}} is not defined on host web2 (defined on web1)`,
  ]);
  assert.deepEqual(seen, [{ name: 'web', hosts: 'web' }, { name: 'worker' }]);
  assert.equal(error.message.split('\n')[0], `${path.join(fixtures, 'basic')}/: 2 problems`);
});

test('a target that cannot be resolved is a problem of the app', async () => {
  const dir = await project('bad-target', { 'a.ts': `${header}export default ${app('a', ", hosts: 'nope'")};\n` });
  const error = await failure(dir, {
    hostsFor: ({ hosts }) => {
      throw new UsageError(`unknown target '${hosts}'`);
    },
  });
  assert.deepEqual(error.problems, [`${dir}/a.ts: app 'a' hosts: unknown target 'nope'`]);
});

test('a missing directory has no apps and no tasks', async () => {
  assert.deepEqual(await loadTasks(path.join(scratch, 'nothing-here')), { apps: [], tasks: [] });
});

test('a tasks path that is not a directory is a usage error', async () => {
  const file = path.join(scratch, 'a-file');
  await writeFile(file, '');
  await assert.rejects(loadTasks(file), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(
      error.message,
      `${file}/: cannot read the tasks directory: ENOTDIR: not a directory, scandir '${file}'`,
    );
    return true;
  });
});

test('only task files directly in the directory count: not hidden files, declarations or subdirectories', async () => {
  const dir = await project('selection', {
    'a.mts': `${header}export default ${app('a')};\n`,
    'b.js': `${header}export const b = defineTask('b', () => {});\n`,
    '.#a.ts': 'this is an editor lock file',
    'c.d.ts': 'export declare const c: string;\n',
    'notes.txt': 'not code',
  });
  await mkdir(path.join(dir, 'lib'));
  await writeFile(path.join(dir, 'lib', 'broken.ts'), 'this is not code');
  const loaded = await loadTasks(dir);
  assert.deepEqual(
    loaded.apps.map((a) => a.file),
    [path.join(dir, 'a.mts')],
  );
  assert.deepEqual(
    loaded.tasks.map((t) => t.file),
    [path.join(dir, 'b.js')],
  );
});

test('every problem of every file is reported at once, each naming its file and app or task', async () => {
  const dir = await project('problems', {
    'a-syntax.ts': 'export const x = ;\n',
    'b-throws.ts': "throw new Error('cannot reach the vault\\nretry later');\n",
    'c-missing.ts': "import './nope.ts';\n",
    'd-invalid.ts':
      `${header}export default defineApp({ name: 'web', root: 'srv/web', keepRelease: 3, programs: { 'web-1': { command: 'x', numprocs: 0 } } });\n` +
      `export const unnamed = defineApp({ root: '/srv/x', programs: { x: { command: 'x' } } } as never);\n`,
    'e-tasks.ts': `${header}export const bad = defineTask('run me', 'not a function' as never);\nexport const worse = defineTask(42 as never, () => {});\n`,
  });
  const error = await failure(dir);
  assert.deepEqual(error.problems, [
    `${dir}/a-syntax.ts: cannot load: Transform failed with 1 error: ${dir}/a-syntax.ts:1:17: ERROR: Unexpected ";"`,
    `${dir}/b-throws.ts: cannot load: cannot reach the vault retry later`,
    `${dir}/c-missing.ts: cannot load: Cannot find module '${dir}/nope.ts' imported from ${dir}/c-missing.ts`,
    `${dir}/d-invalid.ts: app 'web' keepRelease: unknown key (did you mean 'keepReleases'?)`,
    `${dir}/d-invalid.ts: app 'web' root: 'srv/web' is not a safe absolute path (expected '/' followed by letters, digits, '_', '.', '-' and '/')`,
    `${dir}/d-invalid.ts: app 'web' programs.web-1.numprocs: 0 is not an integer from 1 to 100`,
    `${dir}/d-invalid.ts: app (export 'unnamed'): missing 'name' (required)`,
    `${dir}/e-tasks.ts: task 'run me' name: 'run me' is not a valid task name (expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit)`,
    `${dir}/e-tasks.ts: task 'run me' run: expected a function, got 'not a function'`,
    `${dir}/e-tasks.ts: task (export 'worse') name: expected a string, got 42`,
  ]);
  assert.equal(error.message.split('\n')[0], `${dir}/: 10 problems`);
  assert.equal(error.exitCode, 2);
});

test('two apps or two tasks with one name are reported with both files', async () => {
  const dir = await project('duplicates', {
    'a.ts': `${header}export default ${app('web')};\nexport const deploy = defineTask('deploy', () => {});\n`,
    'b.ts': `${header}export default ${app('web')};\nexport const again = defineTask('deploy', () => {});\n`,
  });
  const error = await failure(dir);
  assert.deepEqual(error.problems, [
    `${dir}/b.ts: app 'web': name already used by ${dir}/a.ts (export 'default')`,
    `${dir}/b.ts: task 'deploy': name already used by ${dir}/a.ts (export 'deploy')`,
  ]);
  assert.equal(error.message.split('\n')[0], `${dir}/: 2 problems`);
});

test('two apps may not both define a program: Supervisor would merge the sections silently', async () => {
  const dir = await project('programs', {
    'api.ts': `${header}export default defineApp({ name: 'api', root: '/srv/api', programs: { worker: { command: 'a' } } });\n`,
    'web.ts': `${header}export default defineApp({ name: 'web', root: '/srv/web', programs: { web: { command: 'w' }, worker: { command: 'b' } } });\n`,
  });
  const error = await failure(dir);
  assert.deepEqual(error.problems, [
    `${dir}/web.ts: app 'web' programs.worker: also a program of app 'api' in ${dir}/api.ts (Supervisor would merge the two [program:x] sections)`,
  ]);
  assert.equal(error.message.split('\n')[0], `${dir}/: 1 problem`);
});

test("two apps may not share one root: they would share current and prune each other's releases", async () => {
  const dir = await project('roots', {
    'api.ts': `${header}export default defineApp({ name: 'api', root: '/srv/shared', programs: { api: { command: 'a' } } });\n`,
    'web.ts': `${header}export default defineApp({ name: 'web', root: '/srv/shared', programs: { web: { command: 'w' } } });\n`,
  });
  const error = await failure(dir);
  assert.deepEqual(error.problems, [
    `${dir}/web.ts: app 'web' root: /srv/shared is also the root of app 'api' in ${dir}/api.ts (two apps in one root share \`current\` and prune each other's releases)`,
  ]);
});

test('each load imports the files afresh', async () => {
  const dir = await project('fresh', { 'a.ts': `${header}export default ${app('first')};\n` });
  assert.equal((await loadTasks(dir)).apps[0]?.spec.name, 'first');
  await writeFile(path.join(dir, 'a.ts'), `${header}export default ${app('second')};\n`);
  assert.equal((await loadTasks(dir)).apps[0]?.spec.name, 'second');
});

test("a second run compiles nothing again: the tasks reuse tsx's disk cache, which gains no file", async () => {
  // Without "type": "module" (most projects), tsx compiles a task file as CommonJS, naming the load's namespace in it.
  const definePath = path.join(repo, 'src/tasks/define.ts');
  const dir = await project('cached', {
    'a.ts': `import { defineApp } from '${definePath}';\nexport default ${app('cached')};\n`,
  });
  await writeFile(path.join(dir, '..', 'package.json'), '{}\n');
  // tsx keeps its cache in $TMPDIR/tsx-<uid>: a directory of this test's own, so that only these runs count.
  const tmp = await mkdtemp(path.join(scratch, 'tmp-'));
  const loadUrl = pathToFileURL(path.join(repo, 'src/tasks/load.ts')).href;
  const script = `const { loadTasks } = await import(${JSON.stringify(loadUrl)}); await loadTasks(${JSON.stringify(dir)});`;
  const cached = () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return readdirSync(path.join(tmp, `tsx-${process.getuid?.() ?? 0}`)).length;
  };
  const first = cached();
  assert.equal(cached(), first, 'the second run compiled a task file again');
});

// `import { defineApp } from 'convoy'` resolves through package.json "exports" to dist/index.js (npm run build).
const dist = path.join(repo, 'dist/index.js');
test(
  "a task file in this repo can import the API from 'convoy'",
  { skip: existsSync(dist) ? false : 'dist/index.js is missing (npm run build)' },
  async () => {
    const loaded = await loadTasks(path.join(fixtures, 'self-ref'));
    assert.deepEqual(summary(loaded), {
      apps: [['self-ref/app.mjs', 'default', 'selfref']],
      tasks: [['self-ref/app.mjs', 'hello', 'hello', 'function']],
    });
  },
);

test('a project without "type": "module" (task files compiled as CommonJS): default and named exports are found', async () => {
  const root = path.join(scratch, 'commonjs');
  await mkdir(path.join(root, 'tasks'), { recursive: true });
  await writeFile(path.join(root, 'package.json'), '{ "name": "legacy" }\n');
  const definePath = path.join(repo, 'src/tasks/define.ts');
  await writeFile(
    path.join(root, 'tasks', 'web.ts'),
    `import { defineApp, defineTask } from '${definePath}';\nexport default ${app('web')};\nexport const migrate = defineTask('migrate', async () => {});\n`,
  );
  const loaded = await loadTasks(path.join(root, 'tasks'));
  assert.deepEqual(
    loaded.apps.map((a) => [a.spec.name, a.exportName]),
    [['web', 'default']],
  );
  assert.deepEqual(
    loaded.tasks.map((t) => [t.name, t.exportName]),
    [['migrate', 'migrate']],
  );
});

test('bad shared paths and templates stop the load (exit 2), naming the file, the key and the value', async () => {
  const dir = await project('shared', {
    'web.ts': `${header}export default ${app('web', ", shared: { dirs: ['/var/www', '.convoy-x'], files: ['a/../b'] }, templates: { 'x//y': 't' }")};\n`,
  });
  const error = await failure(dir);
  assert.deepEqual(error.problems, [
    `${dir}/web.ts: app 'web' shared.dirs[0]: '/var/www' is absolute (expected a path relative to the release, e.g. 'var/cache')`,
    `${dir}/web.ts: app 'web' shared.dirs[1]: '.convoy-x' starts with '.convoy' (expected a path of the app's own: <root>/shared/.convoy-secrets is Convoy's)`,
    `${dir}/web.ts: app 'web' shared.files[0]: 'a/../b' has a '.' or '..' part (expected a normalized path inside the release)`,
    `${dir}/web.ts: app 'web' templates.x//y: 'x//y' is not a safe relative path (expected letters, digits, '_', '.', '-', '@', '+' and '/', no empty parts, no trailing '/')`,
  ]);
  assert.equal(error.exitCode, 2);
});
