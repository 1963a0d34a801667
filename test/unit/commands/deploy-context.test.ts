// What deploy and rollback load before any connection: apps, their hosts within the target, and what was left out.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadDeployContext } from '../../../src/commands/deploy-context.ts';

const defineUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/tasks/define.ts')).href;

let project: string;
before(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'convoy-context-'));
  await writeFile(path.join(project, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    path.join(project, 'fleet.ini'),
    '[group:web]\nhosts = web[1:3]\n\n[group:db]\nhosts = db1, db2\n\n[group:prod]\nchildren = web, db\n',
  );
  await mkdir(path.join(project, 'tasks'));
  await writeFile(
    path.join(project, 'tasks', 'api.ts'),
    `import { defineApp } from '${defineUrl}';\nexport default defineApp({ name: 'api', hosts: 'web', root: '/srv/api', programs: { api: { command: 'run' } } });\n`,
  );
});
after(async () => {
  await rm(project, { recursive: true, force: true });
});

const options = () => ({
  globals: { inventory: 'fleet.ini', tasks: 'tasks', json: false, color: false },
  cwd: project,
  env: {},
});

test("a target wider than the app's own hosts is narrowed, and the hosts left out are named", async () => {
  const context = await loadDeployContext(options(), 'prod', ['api']);
  const [target] = context.targets;
  assert.deepEqual(
    target?.hosts.map((h) => h.name),
    ['web1', 'web2', 'web3'],
  );
  assert.deepEqual(target?.leftOut, ['db1', 'db2']);
  const exact = await loadDeployContext(options(), 'web', ['api']);
  assert.deepEqual(exact.targets[0]?.leftOut, []);
});

test("a run-once hook's host: a group's hosts in the deploy's order; naming none of the deploy's is an error", async () => {
  const task = (host: string) =>
    `import { defineApp } from '${defineUrl}';\nexport default defineApp({ name: 'mig', root: '/srv/mig', programs: { mig: { command: 'run' } }, hooks: { beforeSwitchOnce: { command: 'migrate', host: '${host}' } } });\n`;
  await writeFile(path.join(project, 'tasks', 'mig.ts'), task('db'));
  try {
    const context = await loadDeployContext(options(), 'prod', ['mig']);
    assert.deepEqual(context.targets[0]?.runOnceHosts, ['db1', 'db2']);
    await assert.rejects(
      loadDeployContext(options(), 'web', ['mig']),
      /tasks\/mig\.ts: app 'mig' hooks\.beforeSwitchOnce\.host: 'db' names no host of this deploy \(web1, web2, web3\)/,
    );
  } finally {
    await rm(path.join(project, 'tasks', 'mig.ts'));
  }
});

test("an app's webhooks: the inventory's, then its own, each URL once; one that cannot be read stops the run", async () => {
  const hook = 'https://hooks.example.com/T0/B0/SECRET';
  await writeFile(
    path.join(project, 'notify.ini'),
    `[defaults]\nnotify = ${hook}, env:TEAM_HOOK\n\n[group:web]\nhosts = web1\n`,
  );
  await writeFile(
    path.join(project, 'tasks', 'hooked.ts'),
    `import { defineApp } from '${defineUrl}';\nexport default defineApp({ name: 'hooked', root: '/srv/hooked', programs: { hooked: { command: 'run' } }, notify: ['${hook}', { env: 'APP_HOOK' }] });\n`,
  );
  const withInventory = { ...options(), globals: { ...options().globals, inventory: 'notify.ini' } };
  try {
    const env = { TEAM_HOOK: 'http://127.0.0.1:9/team', APP_HOOK: 'http://127.0.0.1:9/app' };
    const context = await loadDeployContext({ ...withInventory, env }, 'web', ['hooked']);
    assert.deepEqual(
      context.targets[0]?.webhooks.map((h) => [h.label, h.url.reveal()]),
      [
        ['hooks.example.com', hook],
        ['$TEAM_HOOK', 'http://127.0.0.1:9/team'],
        ['$APP_HOOK', 'http://127.0.0.1:9/app'],
      ],
    );
    await assert.rejects(
      loadDeployContext({ ...withInventory, env: { TEAM_HOOK: 'x' } }, 'web', ['hooked']),
      (error: Error) => {
        assert.match(error.message, /notify\.ini:2: \[defaults\] notify: \$TEAM_HOOK is not a URL/);
        assert.ok(!error.message.includes('SECRET'));
        return true;
      },
    );
  } finally {
    await rm(path.join(project, 'tasks', 'hooked.ts'));
  }
});
