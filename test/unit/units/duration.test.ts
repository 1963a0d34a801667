// One duration grammar for flags, inventory and task files; each caller brings its range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DurationRange } from '../../../src/units/duration.ts';
import { expectedDuration, parseDuration } from '../../../src/units/duration.ts';

const any: DurationRange = { allowZero: true };

test('a number of seconds (number or digits) or a number with ms, s, m or h, in milliseconds', () => {
  assert.equal(parseDuration(30, any), 30_000);
  assert.equal(parseDuration(0.25, any), 250);
  assert.equal(parseDuration(0, any), 0);
  assert.equal(parseDuration('10', any), 10_000);
  assert.equal(parseDuration('2.5', any), 2_500);
  assert.equal(parseDuration('500ms', any), 500);
  assert.equal(parseDuration('30s', any), 30_000);
  assert.equal(parseDuration('1.5s', any), 1_500);
  assert.equal(parseDuration('2m', any), 120_000);
  assert.equal(parseDuration('1h', any), 3_600_000);
  assert.equal(parseDuration('0.5ms', any), 1);
  assert.equal(parseDuration(' 5s ', any), 5_000);
});

test('anything else is not a duration, whatever the range', () => {
  for (const value of [
    '30 s',
    '1d',
    '-1s',
    '-1',
    '.5s',
    '5.',
    's',
    '',
    '1.5.2s',
    '30S',
    '1h1m',
    '1e3',
    '5x',
    'ten',
    '9'.repeat(400),
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    true,
    {},
  ]) {
    assert.equal(parseDuration(value, any), undefined, String(value));
  }
});

test('the range: above 0 unless 0 is allowed, from min, up to max', () => {
  assert.equal(parseDuration('0', {}), undefined);
  assert.equal(parseDuration('0.4ms', {}), undefined, 'rounds to 0');
  assert.equal(parseDuration('1ms', {}), 1);
  assert.equal(parseDuration('0', { max: 3_600_000, allowZero: true }), 0);
  assert.equal(parseDuration('1h', { max: 3_600_000 }), 3_600_000);
  assert.equal(parseDuration('61m', { max: 3_600_000 }), undefined);
  assert.equal(parseDuration('0.2', { min: 200 }), 200);
  assert.equal(parseDuration('199ms', { min: 200 }), undefined);
  assert.equal(parseDuration(0, { min: 200 }), undefined);
  assert.equal(parseDuration(0, { min: 200, allowZero: true }), 0);
});

test('what was expected reads the same everywhere: the range, then the syntax', () => {
  const syntax = "(seconds, or a number with a unit: '10', '500ms', '2.5s', '1m')";
  assert.equal(expectedDuration({ max: 3_600_000 }), `a duration above 0, at most 1h ${syntax}`);
  assert.equal(
    expectedDuration({ max: 3_600_000, allowZero: true, zeroMeans: 'no keepalives' }),
    `a duration of at most 1h, or 0 for no keepalives ${syntax}`,
  );
  assert.equal(expectedDuration({ min: 200, max: 3_600_000 }), `a duration from 0.2s to 1h ${syntax}`);
  assert.equal(expectedDuration({ allowZero: true }), `a duration of at most 596h ${syntax}`);
  assert.equal(expectedDuration({}), `a duration above 0, at most 596h ${syntax}`);
  assert.equal(expectedDuration({ min: 1500, allowZero: true }), `a duration from 1.5s to 596h, or 0 ${syntax}`);
  assert.equal(expectedDuration({ min: 50, max: 120_000 }), `a duration from 50ms to 2m ${syntax}`);
});

test('no range accepts more than a Node.js timer can wait (2^31-1 ms): a longer one would fire at once', () => {
  // setTimeout(fn, 25 days) runs fn after 1 ms with a TimeoutOverflowWarning: a step timeout or a pause that long
  // would end at once instead of never.
  assert.equal(parseDuration('596h', any), 596 * 3_600_000);
  assert.equal(parseDuration('597h', any), undefined);
  assert.equal(parseDuration(2_200_000, any), undefined);
  assert.equal(parseDuration('597h', { min: 200, allowZero: true }), undefined);
  assert.match(expectedDuration(any), /^a duration of at most 596h /);
  assert.match(expectedDuration({ max: 3_600_000 }), /at most 1h /);
});
