// `convoy check` reads the inventory and the task files, touches no host, and says what it found.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runCli } from '../support/cli.ts';

const defineUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/tasks/define.ts')).href;

let project: string;
before(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'convoy-check-'));
  await writeFile(path.join(project, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(project, 'fleet.ini'), '[group:web]\nhosts = web1\n');
  await mkdir(path.join(project, 'tasks'));
});
after(async () => {
  await rm(project, { recursive: true, force: true });
});

function check(...flags: string[]) {
  return runCli(['-i', 'fleet.ini', '--tasks', 'tasks', ...flags, 'check'], { cwd: project });
}

test('check counts in words that agree with the numbers', async () => {
  const r = await check();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fleet\.ini: ok \(1 host, 1 group\)$/m);
});

test('an artifact not built yet is a warning, not an error (pipelines often build it after checking)', async () => {
  const app = (name: string, artifact: string) =>
    `import { defineApp } from '${defineUrl}';\nexport default defineApp({ name: '${name}', root: '/srv/${name}', artifact: '${artifact}', programs: { ${name}: { command: 'run' } } });\n`;
  await mkdir(path.join(project, 'build', 'ready'), { recursive: true });
  await writeFile(path.join(project, 'tasks', 'ready.ts'), app('ready', 'build/ready'));
  await writeFile(path.join(project, 'tasks', 'later.ts'), app('later', 'build/later.tar.gz'));
  try {
    const r = await check();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*later.*build\/later\.tar\.gz.* not found/);
    assert.doesNotMatch(r.stderr, /ready/);
    const json = await check('--json');
    const warnings = json.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; message?: string })
      .filter((x) => x.type === 'warning');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /later/);
  } finally {
    await rm(path.join(project, 'tasks', 'ready.ts'));
    await rm(path.join(project, 'tasks', 'later.ts'));
  }
});
