import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAmount } from '../../../src/units/amount.ts';

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
