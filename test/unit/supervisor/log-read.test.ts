// Reading logs as text through a supervisord that decodes every window strictly as UTF-8 (the fake reads and
// decodes as 4.2.5 does): any window Convoy asks for gives exact text, with no HTTP 500 and few round trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogNotTextError, readLogEnd, readLogRange } from '../../../src/supervisor/log-read.ts';
import { isFault } from '../../../src/supervisor/faults.ts';
import { FakeSupervisord } from '../support/fake-supervisord.ts';
import { textLines } from '../support/utf8-text.ts';

const bytes = Buffer.from(textLines('line', 6).join('\n') + '\n');

function withLog(content: Buffer): FakeSupervisord {
  const supervisord = new FakeSupervisord();
  supervisord.write('app:web', 'stdout', content);
  return supervisord;
}

/** The last character boundary at or before `p`. */
function boundary(content: Buffer, p: number): number {
  let b = p;
  while (b > 0 && b < content.length && ((content[b] ?? 0) & 0xc0) === 0x80) b--;
  return b;
}

test('the end of a log, for every window length: exact text from the boundary before the window, to the end', async () => {
  const supervisord = withLog(bytes);
  for (let length = 1; length <= bytes.length + 2; length++) {
    const got = await readLogEnd({ client: supervisord, name: 'app:web', stream: 'stdout' }, length);
    const start = boundary(bytes, Math.max(0, bytes.length - length));
    assert.deepEqual(
      got,
      { text: bytes.subarray(start).toString('utf8'), start, end: bytes.length },
      `length ${length}`,
    );
  }
  assert.equal(supervisord.http500, 0, 'every read went through system.multicall');
});

test('one round trip when the window falls between characters, three when it does not', async () => {
  const supervisord = withLog(bytes);
  const log = { client: supervisord, name: 'app:web', stream: 'stdout' } as const;
  await readLogEnd(log, bytes.length - bytes.indexOf('\n') - 1);
  assert.deepEqual(supervisord.calls.filter((c) => c === 'system.multicall').length, 1);
  supervisord.calls.length = 0;
  await readLogEnd(log, bytes.length - bytes.indexOf('é') - 1);
  assert.deepEqual(supervisord.calls.filter((c) => c === 'system.multicall').length, 3);
});

test('a log that ends inside a character (a block-buffered writer): the text stops before it', async () => {
  const emoji = bytes.indexOf('😀');
  const cut = bytes.subarray(0, emoji + 2);
  const supervisord = withLog(cut);
  for (const length of [1, 2, 3, 40, cut.length, cut.length + 5]) {
    const got = await readLogEnd({ client: supervisord, name: 'app:web', stream: 'stdout' }, length);
    const start = Math.min(emoji, boundary(cut, Math.max(0, cut.length - length)));
    assert.deepEqual(got, { text: cut.subarray(start, emoji).toString('utf8'), start, end: emoji }, `length ${length}`);
  }
});

test('following a log written 7 bytes at a time, read in chunks of 5: every character once, in order', async () => {
  const supervisord = withLog(Buffer.alloc(0));
  const log = { client: supervisord, name: 'app:web', stream: 'stdout' } as const;
  let shown = '';
  let offset = 0;
  for (let written = 0; written < bytes.length; written += 7) {
    supervisord.write('app:web', 'stdout', bytes.subarray(written, written + 7));
    const size = Math.min(bytes.length, written + 7);
    while (offset < size) {
      const fresh = await readLogRange(log, offset, Math.min(size, offset + 5));
      if (fresh.end === offset) break; // only part of a character so far
      shown += fresh.text;
      offset = fresh.end;
    }
  }
  assert.equal(shown, bytes.toString('utf8'));
  assert.equal(offset, bytes.length);
  assert.equal(supervisord.http500, 0);
});

test('following a log with \\r\\n line ends: the offset moves by the bytes read, so nothing comes twice', async () => {
  const crlf = textLines('crlf', 5).map((l) => `${l}\r\n`);
  const supervisord = withLog(Buffer.alloc(0));
  const log = { client: supervisord, name: 'app:web', stream: 'stdout' } as const;
  let shown = '';
  let offset = 0;
  for (const line of crlf) {
    supervisord.write('app:web', 'stdout', line);
    const fresh = await readLogRange(log, offset, offset + Buffer.byteLength(line));
    shown += fresh.text;
    offset = fresh.end;
  }
  assert.equal(shown, crlf.join('').replace(/\r\n/g, '\n'));
});

test('bytes that are not UTF-8: a LogNotTextError that names the bytes and says why; other faults as they are', async () => {
  const latin1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n', 'latin1');
  const log = { client: withLog(latin1), name: 'app:web', stream: 'stdout' } as const;
  await assert.rejects(readLogEnd(log, 2000), (error: unknown) => {
    assert.ok(error instanceof LogNotTextError);
    assert.match(error.message, /^supervisord could not send bytes 0-\d+ of app:web's stdout log as UTF-8 text/);
    assert.match(error.message, /UnicodeDecodeError/);
    return true;
  });
  const middle = Buffer.concat([Buffer.from('ok ✓ '), latin1, Buffer.from(' ✓ ok\n')]);
  const range = { client: withLog(middle), name: 'app:web', stream: 'stdout' } as const;
  await assert.rejects(readLogRange(range, 0, middle.length), LogNotTextError);
  const nosuch = { client: withLog(bytes), name: 'app:nosuch', stream: 'stdout' } as const;
  await assert.rejects(readLogEnd(nosuch, 100), (error: unknown) => isFault(error, 'BAD_NAME'));
  await assert.rejects(readLogRange(nosuch, 0, 100), (error: unknown) => isFault(error, 'BAD_NAME'));
});
