import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wantsColor } from '../../../src/output/output.ts';
import { formatTable, visibleWidth } from '../../../src/output/table.ts';

test('pads columns to the widest cell and right-aligns numeric columns', () => {
  assert.equal(
    formatTable(
      ['HOST', 'PID', 'STATE'],
      [
        ['web1', '12', 'RUNNING'],
        ['web10', '3456', 'STOPPED'],
      ],
    ),
    'HOST    PID  STATE\nweb1     12  RUNNING\nweb10  3456  STOPPED',
  );
});

test('ANSI colors take no width', () => {
  assert.equal(visibleWidth('\x1b[32mRUNNING\x1b[0m'), 7);
});

test('color only on a TTY, never with NO_COLOR or --no-color', () => {
  assert.equal(wantsColor({ isTTY: true }, true, {}), true);
  assert.equal(wantsColor({ isTTY: false }, true, {}), false);
  assert.equal(wantsColor({ isTTY: true }, true, { NO_COLOR: '1' }), false);
  assert.equal(wantsColor({ isTTY: true }, false, {}), false);
  assert.equal(wantsColor({ isTTY: false }, true, { FORCE_COLOR: '1' }), true);
});

test('a column of dashes is text, a column of numbers and dashes is numeric', () => {
  assert.equal(
    formatTable(
      ['A', 'N', 'J'],
      [
        ['x', '5', '-'],
        ['yy', '-', '-'],
      ],
    ),
    'A   N  J\nx   5  -\nyy  -  -',
  );
});
