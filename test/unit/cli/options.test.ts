// Flag value parsers: typed values out, and rejections that say what was expected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { amountOption, durationOption } from '../../../src/cli/options.ts';

test('durationOption: milliseconds within the range the flag states', () => {
  const pause = durationOption({ allowZero: true });
  assert.equal(pause('10'), 10_000);
  assert.equal(pause('2.5s'), 2_500);
  assert.equal(pause('0'), 0);
  const timeout = durationOption({ max: 3_600_000 });
  assert.equal(timeout('500ms'), 500);
  assert.throws(() => timeout('0'), InvalidArgumentError);
  assert.throws(() => timeout('2h'), {
    message:
      "expected a duration above 0, at most 1h (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'), got '2h'",
  });
});

test('amountOption: a count of hosts or a percentage up to 100', () => {
  assert.deepEqual(amountOption('3'), { kind: 'count', value: 3 });
  assert.deepEqual(amountOption('25%'), { kind: 'percent', value: 25 });
  assert.throws(() => amountOption('half'), {
    message: "expected a whole number of hosts like 2, or a percentage like '25%', got 'half'",
  });
  assert.throws(() => amountOption('120%'), InvalidArgumentError);
});
