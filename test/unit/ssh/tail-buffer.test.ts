import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TailBuffer } from '../../../src/ssh/tail-buffer.ts';

test('keeps only the last bytes of a stream, counting what it dropped', () => {
  const tail = new TailBuffer(10);
  for (const piece of ['hello ', 'world, ', 'how are ', 'you']) tail.push(Buffer.from(piece));
  assert.equal(tail.text(), 'ow are you');
  assert.equal(tail.dropped, 'hello world, h'.length);
});

test('a big stream in small chunks stays bounded', () => {
  const tail = new TailBuffer(1024);
  for (let i = 0; i < 10_000; i++) tail.push(Buffer.from(`line ${i}\n`));
  assert.ok(Buffer.byteLength(tail.text()) <= 1024);
  assert.match(tail.text(), /line 9999\n$/);
  assert.ok(tail.dropped > 0);
});

test('a short stream is kept whole', () => {
  const tail = new TailBuffer();
  tail.push(Buffer.from('ok\n'));
  assert.deepEqual([tail.text(), tail.dropped], ['ok\n', 0]);
});
