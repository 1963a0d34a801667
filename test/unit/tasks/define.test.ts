import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandResult } from '../../../src/ssh/connection.ts';
import type { SupervisorClient } from '../../../src/supervisor/client.ts';
import { isAppDefinition, isTaskDefinition } from '../../../src/tasks/brand.ts';
import type { TaskCommandResult, TaskSupervisor } from '../../../src/tasks/define.ts';
import { defineApp, defineTask } from '../../../src/tasks/define.ts';

// Compile-time: the runner can hand task code our own client and command results as they are.
export const supervisorFits = (client: SupervisorClient): TaskSupervisor => client;
export const resultFits = (result: CommandResult): TaskCommandResult => result;

test('defineApp returns a branded copy whose keys are only the spec', () => {
  const spec = { name: 'web', root: '/srv/web', programs: { web: { command: 'x' } } };
  const app = defineApp(spec);
  assert.notEqual(app, spec);
  assert.deepEqual(Object.keys(app), ['name', 'root', 'programs']);
  assert.equal((app as unknown as Record<symbol, unknown>)[Symbol.for('convoy.app')], true);
  assert.ok(isAppDefinition(app));
  assert.ok(!isAppDefinition(spec));
  assert.ok(!isTaskDefinition(app));
});

test('defineTask returns a frozen, branded name and function', () => {
  const run = async () => {};
  const task = defineTask('migrate', run);
  assert.equal(task.name, 'migrate');
  assert.equal(task.run, run);
  assert.ok(Object.isFrozen(task));
  assert.ok(isTaskDefinition(task));
  assert.ok(!isAppDefinition(task));
});

test('brands live in the global symbol registry, so a second copy of Convoy is recognised', () => {
  const fromOtherCopy = { name: 'web', [Symbol.for('convoy.app')]: true };
  const taskFromOtherCopy = { name: 'x', run: () => {}, [Symbol.for('convoy.task')]: true };
  assert.ok(isAppDefinition(fromOtherCopy));
  assert.ok(isTaskDefinition(taskFromOtherCopy));
  for (const value of [
    null,
    undefined,
    'web',
    3,
    { [Symbol('convoy.app')]: true },
    { [Symbol.for('convoy.app')]: 'yes' },
  ]) {
    assert.ok(!isAppDefinition(value), String(value));
    assert.ok(!isTaskDefinition(value), String(value));
  }
});

test('defineTask takes its hosts as options before the function', () => {
  const fn = async () => {};
  const withHosts = defineTask('migrate', { hosts: 'db' }, fn);
  assert.deepEqual([withHosts.name, withHosts.hosts, withHosts.run], ['migrate', 'db', fn]);
  const plain = defineTask('plain', fn);
  assert.deepEqual([plain.name, plain.hosts, plain.run], ['plain', undefined, fn]);
  assert.ok(isTaskDefinition(withHosts) && isTaskDefinition(plain));
});
