import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLinePrefixer } from '../../../src/output/line-prefixer.ts';

test('writes only whole lines, each with the prefix, however the chunks fall', () => {
  const lines: string[] = [];
  const p = createLinePrefixer('web1 | ', (l) => lines.push(l));
  p.push(Buffer.from('hel'));
  assert.deepEqual(lines, []);
  p.push(Buffer.from('lo\nwor'));
  p.push(Buffer.from('ld\r\nlast'));
  p.flush();
  assert.deepEqual(lines, ['web1 | hello\n', 'web1 | world\n', 'web1 | last\n']);
});

test('a multi-byte character split across chunks survives', () => {
  const lines: string[] = [];
  const p = createLinePrefixer('', (l) => lines.push(l));
  const bytes = Buffer.from('é\n');
  p.push(bytes.subarray(0, 1));
  p.push(bytes.subarray(1));
  assert.deepEqual(lines, ['é\n']);
});

test('batch: every whole line of a chunk in one write, still whole lines in order', () => {
  const writes: string[] = [];
  const p = createLinePrefixer('h1 | ', (block) => writes.push(block), { batch: true });
  p.push(Buffer.from('a\nb\nc'));
  p.push(Buffer.from('d\ne\n'));
  p.flush();
  assert.deepEqual(writes, ['h1 | a\nh1 | b\n', 'h1 | cd\nh1 | e\n']);
});
