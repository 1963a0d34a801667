// Flag value parsers: typed values out, and rejections that say what was expected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { durationOption } from '../../../src/cli/options.ts';

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
