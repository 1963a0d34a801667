// Batch hooks of a rolling restart: which apps' hooks run, and a failing hook on this machine fails its batch's hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appsWithBatchHooks, restartBatchHook } from '../../../src/commands/control-hooks.ts';
import type { Fleet } from '../../../src/host/fleet.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';
import type { NormalisedApp } from '../../../src/tasks/normalised.ts';

const app = (name: string, hooks: NormalisedApp['hooks']) => ({ name, root: `/srv/${name}`, hooks }) as NormalisedApp;
const apps = new Map([
  ['api', app('api', { beforeBatch: { where: 'local', command: 'echo "$CONVOY_BATCH $CONVOY_BATCH_HOSTS"; exit 2' } })],
  ['web', app('web', {})],
]);
const hosts = [
  { name: 'h1', address: '10.0.0.1' },
  { name: 'h2', address: '10.0.0.2' },
] as HostConfig[];

test('the apps a restart names by their group (app, app:*, app:prog) with batch hooks', () => {
  assert.deepEqual(
    appsWithBatchHooks(apps, ['api:*', 'web']).map((a) => a.name),
    ['api'],
  );
  assert.deepEqual(appsWithBatchHooks(apps, ['api:worker']).length, 1);
  assert.deepEqual(appsWithBatchHooks(apps, []), []);
});

test('a failing hook on this machine fails every host of the batch; its output is passed on', async () => {
  const lines: string[] = [];
  const steps: string[] = [];
  const failed = await restartBatchHook(
    {
      apps,
      programs: ['api'],
      fleet: {} as Fleet,
      cwd: '/',
      timeoutMs: 10_000,
      onLine: (hook, line) => lines.push(`[${hook}] ${line}`),
      onStep: (host, step, detail) => steps.push(`${host} ${step} ${detail}`),
    },
    'beforeBatch',
    1,
    hosts,
  );
  assert.deepEqual([...failed.keys()], ['h1', 'h2']);
  assert.equal(failed.get('h1')?.message, 'beforeBatch hook failed: beforeBatch 2 (on this machine) exited with 2');
  assert.deepEqual(lines, ['[beforeBatch 2] 2 h1 h2']);
  assert.deepEqual(steps, ['h1 api: beforeBatch on this machine', 'h2 api: beforeBatch on this machine']);
});
