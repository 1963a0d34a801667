// The boundary math of log windows: which small reads find the character boundary before a position, and what
// their answers prove, checked against every position of real UTF-8 text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundaryProbes, lastBoundary } from '../../../src/supervisor/log-window.ts';
import type { ByteRange } from '../../../src/supervisor/log-window.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

/** What supervisord answers to a read of `range`: whether its bytes decode strictly as UTF-8. */
function decodes(bytes: Buffer, range: ByteRange): boolean {
  try {
    strict.decode(bytes.subarray(range.start, range.end));
    return true;
  } catch {
    return false;
  }
}

/** The truth: the last position at or before `p` where no character continues. */
function trueBoundary(bytes: Buffer, p: number): number {
  let b = p;
  while (b > 0 && b < bytes.length && ((bytes[b] ?? 0) & 0xc0) === 0x80) b--;
  return b;
}

const text = Buffer.from('a café ✓ 日本語 😀 z\n€𝄞ñ\n');

test('the probes: reads of 1 to 4 bytes ending at the position and the 3 bytes before it, none before the floor', () => {
  const probes = boundaryProbes(10, 0);
  assert.equal(probes.length, 16);
  assert.deepEqual(probes.slice(0, 5), [
    { start: 9, end: 10 },
    { start: 8, end: 10 },
    { start: 7, end: 10 },
    { start: 6, end: 10 },
    { start: 8, end: 9 },
  ]);
  assert.deepEqual(boundaryProbes(5, 3), [
    { start: 4, end: 5 },
    { start: 3, end: 5 },
    { start: 3, end: 4 },
  ]);
  assert.deepEqual(boundaryProbes(3, 3), []);
  assert.deepEqual(boundaryProbes(2, 0), [
    { start: 1, end: 2 },
    { start: 0, end: 2 },
    { start: 0, end: 1 },
  ]);
});

test('every position of UTF-8 text: the answers prove exactly the last boundary at or before it, from any floor', () => {
  for (let p = 0; p <= text.length; p++) {
    const floors = [0, ...[1, 2, 3, 4, 5].map((k) => trueBoundary(text, Math.max(0, p - k)))];
    for (const floor of floors) {
      const probes = boundaryProbes(p, floor);
      const found = lastBoundary(
        p,
        floor,
        probes,
        probes.map((r) => decodes(text, r)),
      );
      assert.equal(found, trueBoundary(text, p), `position ${p}, floor ${floor}`);
    }
  }
});

test('bytes that are not UTF-8 prove no boundary: undefined, unless the floor is within a character', () => {
  const latin1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e', 'latin1');
  const at = (p: number, floor: number) => {
    const probes = boundaryProbes(p, floor);
    return lastBoundary(
      p,
      floor,
      probes,
      probes.map((r) => decodes(latin1, r)),
    );
  };
  assert.equal(at(5, 0), 5, 'the ASCII space after é ends a read of 1 byte');
  const allBad = Buffer.alloc(12, 0xe9);
  const probes = boundaryProbes(10, 0);
  assert.equal(
    lastBoundary(
      10,
      0,
      probes,
      probes.map((r) => decodes(allBad, r)),
    ),
    undefined,
  );
  assert.equal(lastBoundary(3, 0, boundaryProbes(3, 0), [false, false, false, false, false, false]), 0);
});
