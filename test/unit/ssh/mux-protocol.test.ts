import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, frame, frameReader } from '../../../src/ssh/mux/protocol.ts';

test('frames come back whole and in order however the stream cuts them', () => {
  const sent = [
    encodeFrame(frame.stdout, 'héllo\n'),
    encodeFrame(frame.stderr, Buffer.alloc(70_000, 1)),
    encodeFrame(frame.exit, '{"code":3,"signal":null}'),
  ];
  const bytes = Buffer.concat(sent);
  for (const cut of [1, 3, 5, 7, 4096, bytes.length]) {
    const got: [number, number][] = [];
    const feed = frameReader((type, payload) => got.push([type, payload.length]));
    for (let i = 0; i < bytes.length; i += cut) feed(bytes.subarray(i, i + cut));
    assert.deepEqual(
      got,
      [
        [frame.stdout, Buffer.byteLength('héllo\n')],
        [frame.stderr, 70_000],
        [frame.exit, 24],
      ],
      `cut every ${cut} bytes`,
    );
  }
});
