import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandRange, maxRangeHosts } from '../../../src/inventory/ranges.ts';

const names = (pattern: string): string[] => {
  const result = expandRange(pattern);
  if ('error' in result) assert.fail(result.error);
  return result.names;
};
const error = (pattern: string): string => {
  const result = expandRange(pattern);
  if ('names' in result) assert.fail(`expected an error, got ${result.names.join(',')}`);
  return result.error;
};

test('a name without brackets is itself', () => {
  assert.deepEqual(names('web1'), ['web1']);
});

test('numeric ranges keep the zero padding of the start', () => {
  assert.deepEqual(names('web[01:03]'), ['web01', 'web02', 'web03']);
  assert.deepEqual(names('web[08:11]'), ['web08', 'web09', 'web10', 'web11']);
  assert.deepEqual(names('web[001:002]'), ['web001', 'web002']);
  assert.equal(names('web[01:20]').length, 20);
  assert.equal(names('web[01:20]').at(-1), 'web20');
});

test('numeric ranges without a leading zero are not padded', () => {
  assert.deepEqual(names('web[1:3]'), ['web1', 'web2', 'web3']);
  assert.deepEqual(names('web[9:11]'), ['web9', 'web10', 'web11']);
  assert.deepEqual(names('web[0:2]'), ['web0', 'web1', 'web2']);
});

test('letter ranges count letters in either case', () => {
  assert.deepEqual(names('db[a:c]'), ['dba', 'dbb', 'dbc']);
  assert.deepEqual(names('db[X:Z]'), ['dbX', 'dbY', 'dbZ']);
  assert.deepEqual(names('db[q:q]'), ['dbq']);
});

test('a range may sit anywhere in the name, and several multiply', () => {
  assert.deepEqual(names('sandbox-[1:3]'), ['sandbox-1', 'sandbox-2', 'sandbox-3']);
  assert.deepEqual(names('r[1:2]-x'), ['r1-x', 'r2-x']);
  assert.deepEqual(names('[a:b]web'), ['aweb', 'bweb']);
  assert.deepEqual(names('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
});

test('a range that counts down is refused', () => {
  assert.equal(error('web[10:01]'), "bad range 'web[10:01]': start '10' is after end '01'");
  assert.equal(error('db[c:a]'), "bad range 'db[c:a]': start 'c' is after end 'a'");
});

test('a range mixing a number and a letter is refused', () => {
  assert.equal(error('web[1:b]'), "bad range 'web[1:b]': '1' and 'b' must both be numbers or both be letters");
});

test('letters of different case are refused', () => {
  assert.equal(error('db[a:C]'), "bad range 'db[a:C]': 'a' and 'C' must be the same case");
});

test('unclosed, stray and nested brackets are refused', () => {
  assert.equal(error('web[1:3'), "bad range 'web[1:3': '[' is not closed");
  assert.equal(error('web1:3]'), "bad range 'web1:3]': ']' without '['");
  assert.equal(error('web[1:[2:3]]'), "bad range 'web[1:[2:3]]': '[' is not closed");
});

test('a range needs exactly start:end of numbers or single letters', () => {
  const expected = 'expected [start:end] or [start:end:stride]';
  assert.equal(error('web[1]'), `bad range 'web[1]': ${expected}, got [1]`);
  assert.equal(error('web[]'), `bad range 'web[]': ${expected}, got []`);
  assert.equal(error('web[:3]'), `bad range 'web[:3]': ${expected}, got [:3]`);
  assert.equal(error('web[1:2:3:4]'), `bad range 'web[1:2:3:4]': ${expected}, got [1:2:3:4]`);
  assert.equal(error('db[aa:ac]'), "bad range 'db[aa:ac]': expected numbers or single letters, got [aa:ac]");
});

// Ansible's third bound: every stride-th name from start, end included when the count lands on it.
test('a stride counts numbers in steps, keeping the padding of the start', () => {
  assert.deepEqual(names('web[01:10:2]'), ['web01', 'web03', 'web05', 'web07', 'web09']);
  assert.deepEqual(names('web[1:10:3]'), ['web1', 'web4', 'web7', 'web10']);
  assert.deepEqual(names('web[0:20:10]'), ['web0', 'web10', 'web20']);
  assert.deepEqual(names('web[001:120:50]'), ['web001', 'web051', 'web101']);
  assert.deepEqual(names('web[1:3:1]'), names('web[1:3]'));
  assert.deepEqual(names('web[1:3:02]'), ['web1', 'web3']);
});

test('a stride longer than the range leaves the start alone', () => {
  assert.deepEqual(names('web[1:3:5]'), ['web1']);
  assert.deepEqual(names('web[5:5:2]'), ['web5']);
});

test('a stride counts letters too', () => {
  assert.deepEqual(names('db[a:e:2]'), ['dba', 'dbc', 'dbe']);
  assert.deepEqual(names('db[A:Z:12]'), ['dbA', 'dbM', 'dbY']);
});

test('strides multiply with other ranges, anywhere in the name', () => {
  assert.deepEqual(names('r[1:3:2]-[a:c:2].x'), ['r1-a.x', 'r1-c.x', 'r3-a.x', 'r3-c.x']);
});

// Ansible fails on a stride of 0 and silently makes no hosts for a negative one: both are refused here.
test('a stride must be a whole number of 1 or more', () => {
  const why = (stride: string): string => `expected a stride of 1 or more, got '${stride}'`;
  assert.equal(error('web[1:10:0]'), `bad range 'web[1:10:0]': ${why('0')}`);
  assert.equal(error('web[1:10:00]'), `bad range 'web[1:10:00]': ${why('00')}`);
  assert.equal(error('web[1:10:-2]'), `bad range 'web[1:10:-2]': ${why('-2')}`);
  assert.equal(error('web[1:10:]'), `bad range 'web[1:10:]': ${why('')}`);
  assert.equal(error('web[1:10:1.5]'), `bad range 'web[1:10:1.5]': ${why('1.5')}`);
  assert.equal(error('web[1:10:b]'), `bad range 'web[1:10:b]': ${why('b')}`);
  assert.equal(error('db[a:e:0]'), `bad range 'db[a:e:0]': ${why('0')}`);
});

test('a stride does not make a range that counts down acceptable', () => {
  assert.equal(error('web[10:1:2]'), "bad range 'web[10:1:2]': start '10' is after end '1'");
  assert.equal(error('db[e:a:2]'), "bad range 'db[e:a:2]': start 'e' is after end 'a'");
});

test('a range may not make more hosts than the cap', () => {
  assert.equal(maxRangeHosts, 10_000);
  assert.equal(names('h[1:10000]').length, 10_000);
  assert.equal(error('h[1:10001]'), "bad range 'h[1:10001]': expands to 10001 names (at most 10000)");
  assert.equal(error('h[1:200]-[1:100]'), "bad range 'h[1:200]-[1:100]': expands to 20000 names (at most 10000)");
});

test('the cap counts the names a stride makes, not the width of the range', () => {
  assert.equal(names('h[1:100000:10]').length, 10_000);
  assert.equal(names('h[1:100000:10]').at(-1), 'h99991');
  assert.equal(error('h[0:100000:10]'), "bad range 'h[0:100000:10]': expands to 10001 names (at most 10000)");
  assert.equal(error('h[1:400:2]-[1:100]'), "bad range 'h[1:400:2]-[1:100]': expands to 20000 names (at most 10000)");
});
