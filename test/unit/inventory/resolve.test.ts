import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rotateToFirstHost } from '../../../src/inventory/resolve.ts';

const frame = (node: string) => ({ node, label: node.slice(4) });
const labels = (loop: { label: string }[]) => loop.map((f) => f.label);

test('a jump cycle starts at its inventory host that comes first in the file, wherever it was met', () => {
  const hostOrder = ['a', 'b', 'c'];
  assert.deepEqual(labels(rotateToFirstHost([frame('inv:c'), frame('inv:a'), frame('inv:b')], hostOrder)), [
    'a',
    'b',
    'c',
  ]);
  assert.deepEqual(labels(rotateToFirstHost([frame('ext:x'), frame('inv:b')], hostOrder)), ['b', 'x']);
  assert.deepEqual(labels(rotateToFirstHost([frame('ext:x'), frame('ext:y')], hostOrder)), ['x', 'y']);
});
