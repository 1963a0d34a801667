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
  assert.equal(error('web[1]'), "bad range 'web[1]': expected [start:end], got [1]");
  assert.equal(error('web[]'), "bad range 'web[]': expected [start:end], got []");
  assert.equal(error('web[:3]'), "bad range 'web[:3]': expected [start:end], got [:3]");
  assert.equal(error('web[1:2:3]'), "bad range 'web[1:2:3]': expected [start:end], got [1:2:3]");
  assert.equal(error('db[aa:ac]'), "bad range 'db[aa:ac]': expected numbers or single letters, got [aa:ac]");
});

test('a range may not make more hosts than the cap', () => {
  assert.equal(maxRangeHosts, 10_000);
  assert.equal(names('h[1:10000]').length, 10_000);
  assert.equal(error('h[1:10001]'), "bad range 'h[1:10001]': expands to 10001 names (at most 10000)");
  assert.equal(error('h[1:200]-[1:100]'), "bad range 'h[1:200]-[1:100]': expands to 20000 names (at most 10000)");
});
