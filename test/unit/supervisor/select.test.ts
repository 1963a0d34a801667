import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, selectProcesses } from '../../../src/supervisor/select.ts';

const processes = [
  { group: 'lone', name: 'lone' },
  { group: 'mesprogrammes', name: 'monprog1' },
  { group: 'mesprogrammes', name: 'monprog2' },
  { group: 'web', name: 'web_00' },
  { group: 'web', name: 'web_01' },
];
const names = (patterns: string[]) => selectProcesses(processes, patterns).selected.map(displayName);

test('names print as supervisorctl prints them', () => {
  assert.deepEqual(processes.map(displayName), [
    'lone',
    'mesprogrammes:monprog1',
    'mesprogrammes:monprog2',
    'web:web_00',
    'web:web_01',
  ]);
});

test('no names, or all, mean every process', () => {
  assert.equal(names([]).length, 5);
  assert.equal(names(['all']).length, 5);
});

test('group:name, group:*, an app (group) name, a lone program', () => {
  assert.deepEqual(names(['mesprogrammes:monprog2']), ['mesprogrammes:monprog2']);
  assert.deepEqual(names(['mesprogrammes:*']), ['mesprogrammes:monprog1', 'mesprogrammes:monprog2']);
  assert.deepEqual(names(['web']), ['web:web_00', 'web:web_01']);
  assert.deepEqual(names(['lone']), ['lone']);
});

test("globs match qualified names and groups; order stays supervisord's", () => {
  assert.deepEqual(names(['web:web_0?', 'lone']), ['lone', 'web:web_00', 'web:web_01']);
  assert.deepEqual(names(['*:monprog1']), ['mesprogrammes:monprog1']);
  assert.deepEqual(names(['mes*']), ['mesprogrammes:monprog1', 'mesprogrammes:monprog2']);
});

test('a name that matches nothing is reported, the rest still selected', () => {
  assert.deepEqual(selectProcesses(processes, ['web', 'nope', 'web:nope']), {
    selected: processes.slice(3),
    unmatched: ['nope', 'web:nope'],
  });
});

test('a member name alone does not match (supervisord calls it group:name)', () => {
  assert.deepEqual(selectProcesses(processes, ['monprog1']).unmatched, ['monprog1']);
});
