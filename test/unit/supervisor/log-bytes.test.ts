// Log bytes as text: valid UTF-8 kept, every byte that starts no valid character shown as \xNN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { logBytesCommand, showInvalidUtf8 } from '../../../src/supervisor/log-bytes.ts';

const show = (...bytes: number[]) => showInvalidUtf8(Buffer.from(bytes));

test('invalid bytes in a line are shown as \\xNN, the rest of the line as it is', () => {
  assert.equal(showInvalidUtf8(Buffer.from('before \xff\xfe after\n', 'latin1')), 'before \\xff\\xfe after\n');
  assert.equal(showInvalidUtf8(Buffer.from('caf\xe9', 'latin1')), 'caf\\xe9');
});

test('valid UTF-8 of every length is kept', () => {
  assert.equal(showInvalidUtf8(Buffer.from('é € 𝄞 ascii', 'utf8')), 'é € 𝄞 ascii');
  assert.equal(show(), '');
});

test('overlongs, surrogates, code points past U+10FFFF and cut sequences are not characters', () => {
  assert.equal(show(0xc0, 0xaf), '\\xc0\\xaf'); // overlong '/'
  assert.equal(show(0xe0, 0x80, 0xaf), '\\xe0\\x80\\xaf'); // overlong
  assert.equal(show(0xed, 0xa0, 0x80), '\\xed\\xa0\\x80'); // U+D800
  assert.equal(show(0xf4, 0x90, 0x80, 0x80), '\\xf4\\x90\\x80\\x80'); // U+110000
  assert.equal(show(0x61, 0xe2, 0x82), 'a\\xe2\\x82'); // € cut short
  assert.equal(show(0xe2, 0x82, 0x61), '\\xe2\\x82a');
});

test('agrees with a strict decoder on valid text, and never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (text) => showInvalidUtf8(Buffer.from(text, 'utf8')) === text),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      // A literal backslash-x in the input would make the escapes ambiguous; skip those.
      fc.pre(!Buffer.from(bytes).includes('\\x'));
      // Text back to UTF-8, each escape back to its byte: the input comes back exactly.
      const pieces = showInvalidUtf8(bytes).split(/\\x([0-9a-f]{2})/);
      const back = pieces.map((piece, i) => (i % 2 ? Buffer.from([parseInt(piece, 16)]) : Buffer.from(piece, 'utf8')));
      assert.deepEqual(Buffer.concat(back), Buffer.from(bytes));
    }),
  );
});

test("a window's bytes read on the host: tail and head by byte, base64, the path quoted", () => {
  assert.equal(
    logBytesCommand("/var/log/it's.log", { start: 4, end: 8 }),
    "tail -c +5 -- '/var/log/it'\\''s.log' | head -c 4 | base64",
  );
});
