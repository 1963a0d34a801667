import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAmount } from '../../../src/tasks/amount.ts';
import { parseDuration } from '../../../src/tasks/duration.ts';

test('durations are numbers of seconds or a number with ms, s, m or h, in milliseconds', () => {
  assert.equal(parseDuration(30), 30_000);
  assert.equal(parseDuration(0.25), 250);
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1.5s'), 1_500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('0.5ms'), 1);
});

test('anything else is not a duration', () => {
  for (const value of [
    '30',
    '30 s',
    '1d',
    '-1s',
    '.5s',
    's',
    '',
    '1.5.2s',
    '30S',
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    true,
    {},
  ]) {
    assert.equal(parseDuration(value), undefined, String(value));
  }
});

test('amounts are a count of hosts or a percentage up to 100', () => {
  assert.deepEqual(parseAmount(2), { kind: 'count', value: 2 });
  assert.deepEqual(parseAmount('2'), { kind: 'count', value: 2 });
  assert.deepEqual(parseAmount(0), { kind: 'count', value: 0 });
  assert.deepEqual(parseAmount('25%'), { kind: 'percent', value: 25 });
  assert.deepEqual(parseAmount('100%'), { kind: 'percent', value: 100 });
  for (const value of ['101%', '2.5', 2.5, -1, '-1', '25 %', '%', '', 'all', null, undefined, [1]]) {
    assert.equal(parseAmount(value), undefined, String(value));
  }
});
