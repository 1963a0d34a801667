import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { parseInventory, resolveTarget } from '../../../src/inventory/index.ts';

const inventory = parseInventory(
  `[host:bastion]
[group:web]
hosts = web[1:3]
[group:db]
hosts = db1, db2
[group:staging]
hosts = stage1
[group:prod]
children = web, db
[group:db1]
hosts = db1, stage1
`,
  'inventories/x.ini',
  { homeDir: '/home/me', defaultUser: 'me' },
);
const groups = 'groups: web, db, staging, prod, db1';

const names = (target: string): string[] => resolveTarget(inventory, target).map((h) => h.name);
const refusal = (target: string): string => {
  try {
    resolveTarget(inventory, target);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  return assert.fail(`target '${target}' was accepted`);
};

test('all is every host in file order', () => {
  assert.deepEqual(names('all'), ['bastion', 'web1', 'web2', 'web3', 'db1', 'db2', 'stage1']);
});

test('a host, or a group with its children, by name', () => {
  assert.deepEqual(names('web2'), ['web2']);
  assert.deepEqual(names('web'), ['web1', 'web2', 'web3']);
  assert.deepEqual(names('prod'), ['web1', 'web2', 'web3', 'db1', 'db2']);
});

test('the hosts are the very configs of the inventory', () => {
  assert.equal(resolveTarget(inventory, 'web2')[0], inventory.hosts[2]);
});

test('a name that is both a host and a group means both', () => {
  assert.deepEqual(names('db1'), ['db1', 'stage1']);
});

test('comma lists are a union, in file order, without duplicates', () => {
  assert.deepEqual(names('db,web1'), ['web1', 'db1', 'db2']);
  assert.deepEqual(names('stage1,web,web1,prod'), ['web1', 'web2', 'web3', 'db1', 'db2', 'stage1']);
});

test('whitespace around commas and empty items are ignored', () => {
  assert.deepEqual(names(' web1 ,  db2 ,'), ['web1', 'db2']);
});

test('!name removes a host or a group', () => {
  assert.deepEqual(names('web,!web2'), ['web1', 'web3']);
  assert.deepEqual(names('prod,!db'), ['web1', 'web2', 'web3']);
  assert.deepEqual(names('!web2,web'), ['web1', 'web3']);
});

test('&group keeps only hosts also in it', () => {
  assert.deepEqual(names('prod,&web'), ['web1', 'web2', 'web3']);
  assert.deepEqual(names('all,&db,&db1'), ['db1']);
});

test("docs/inventory.md's example: web,&prod,!web3", () => {
  assert.deepEqual(names('web,&prod,!web3'), ['web1', 'web2']);
});

test('* and ? globs match host names and group names', () => {
  assert.deepEqual(names('web*'), ['web1', 'web2', 'web3']);
  assert.deepEqual(names('db?'), ['db1', 'db2', 'stage1']);
  assert.deepEqual(names('*'), names('all'));
  assert.deepEqual(names('stag*'), ['stage1']);
  assert.deepEqual(names('pr*'), ['web1', 'web2', 'web3', 'db1', 'db2']);
  assert.deepEqual(names('all,!*1'), ['bastion', 'web2', 'web3', 'db2']);
  assert.deepEqual(names('????'), ['web1', 'web2', 'web3', 'db1', 'db2']);
  assert.deepEqual(names('all,&???'), ['web1', 'web2', 'web3', 'db1', 'db2', 'stage1']);
});

test('a glob treats other characters literally', () => {
  assert.equal(refusal('w.b*'), `target 'w.b*' matches no host or group; ${groups}`);
  assert.equal(refusal('(web)*'), `target '(web)*' matches no host or group; ${groups}`);
});

test('a term that matches nothing is refused, with the groups and a suggestion', () => {
  assert.equal(refusal('wbe'), `target 'wbe' matches no host or group (did you mean 'web'?); ${groups}`);
  assert.equal(refusal('web,prdo'), `target 'prdo' matches no host or group (did you mean 'prod'?); ${groups}`);
  assert.equal(refusal('zzz'), `target 'zzz' matches no host or group; ${groups}`);
  assert.equal(refusal('al'), `target 'al' matches no host or group (did you mean 'all'?); ${groups}`);
  assert.equal(refusal('x*'), `target 'x*' matches no host or group; ${groups}`);
});

test('excluding or intersecting with a name that does not exist is refused too', () => {
  assert.equal(refusal('web,!web9'), `target '!web9' matches no host or group (did you mean 'web'?); ${groups}`);
  assert.equal(refusal('web,&prdo'), `target '&prdo' matches no host or group (did you mean 'prod'?); ${groups}`);
});

test('a target whose terms leave no host is refused', () => {
  assert.equal(refusal('web,&db'), `target 'web,&db' matches no host; ${groups}`);
  assert.equal(refusal('web1,!web'), `target 'web1,!web' matches no host; ${groups}`);
});

test('only ! and & terms select nothing, and the message says to start from all', () => {
  assert.equal(
    refusal('!web'),
    `target '!web' matches no host (it has only '!' and '&' terms; start from all, e.g. 'all,!web'); ${groups}`,
  );
  assert.deepEqual(names('all,!web'), ['bastion', 'db1', 'db2', 'stage1']);
});

test('empty targets and bare operators are refused', () => {
  assert.equal(refusal(''), `empty target (expected all, a group, a host, or a comma list); ${groups}`);
  assert.equal(refusal(' , '), `empty target (expected all, a group, a host, or a comma list); ${groups}`);
  assert.equal(refusal('web,!'), `target term '!' names nothing after '!'; ${groups}`);
  assert.equal(refusal('&'), `target term '&' names nothing after '&'; ${groups}`);
});

test('without groups, the message says so', () => {
  const bare = parseInventory('[host:alpha]\n', 'x.ini', { homeDir: '/h', defaultUser: 'me' });
  assert.throws(() => resolveTarget(bare, 'alpah'), {
    name: 'UsageError',
    message: "target 'alpah' matches no host or group (did you mean 'alpha'?); groups: (none)",
  });
});
