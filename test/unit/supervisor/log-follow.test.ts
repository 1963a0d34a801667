// Following a log: the last lines first, then what is appended, and bytes that are not UTF-8 shown with escapes when
// the caller can read them another way, said and skipped when it asks so (the dashboard), thrown otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followLog } from '../../../src/supervisor/log-follow.ts';
import { LogNotTextError } from '../../../src/supervisor/log-read.ts';
import { FakeSupervisord } from '../support/fake-supervisord.ts';

function follower(
  supervisord: FakeSupervisord,
  appendOnWait: (Buffer | string)[],
  notText?: (e: LogNotTextError) => void,
  readBytes?: (range: { start: number; end: number }) => Promise<Buffer>,
) {
  let waits = 0;
  const options = {
    lines: 2,
    follow: true,
    intervalMs: 0,
    stopped: () => waits > appendOnWait.length,
    wait: async () => {
      const next = appendOnWait[waits++];
      if (next !== undefined) supervisord.write('app:web', 'stdout', next);
    },
    ...(notText ? { notText } : {}),
    ...(readBytes ? { readBytes } : {}),
  };
  let text = '';
  return {
    run: () => followLog({ client: supervisord, name: 'app:web', stream: 'stdout' }, options, (t) => (text += t)),
    text: () => text,
  };
}

test('the last N lines, then what is appended', async () => {
  const supervisord = new FakeSupervisord();
  supervisord.write('app:web', 'stdout', 'one\ntwo\nthree\n');
  const f = follower(supervisord, ['four\n', 'fi', 've\n']);
  await f.run();
  assert.equal(f.text(), 'two\nthree\nfour\nfive\n');
});

test('bytes that are not UTF-8: said and skipped when asked, the follow goes on', async () => {
  const supervisord = new FakeSupervisord();
  supervisord.write('app:web', 'stdout', 'one\n');
  const said: string[] = [];
  const f = follower(supervisord, [Buffer.from([0x62, 0xff, 0xfe, 0x0a]), 'after\n'], (e) => said.push(e.message));
  await f.run();
  assert.equal(f.text(), 'one\nafter\n');
  assert.equal(said.length, 1);
  assert.match(said[0] ?? '', /could not send bytes 4-8 of app:web's stdout log as UTF-8/);
  const strict = new FakeSupervisord();
  strict.write('app:web', 'stdout', 'one\n');
  await assert.rejects(follower(strict, [Buffer.from([0xff, 0x0a])]).run(), LogNotTextError);
});

test('bytes that are not UTF-8, read another way: shown with each invalid byte as \\xNN, the follow goes on', async () => {
  const supervisord = new FakeSupervisord();
  supervisord.write('app:web', 'stdout', 'one\n');
  const said: string[] = [];
  const asked: string[] = [];
  const raw = Buffer.from([0x62, 0xff, 0xfe, 0x0a]);
  const readBytes = async (range: { start: number; end: number }) => {
    asked.push(`${range.start}-${range.end}`);
    return raw;
  };
  const f = follower(supervisord, [raw, 'after\n'], (e) => said.push(e.message), readBytes);
  await f.run();
  assert.equal(f.text(), 'one\nb\\xff\\xfe\nafter\n');
  assert.deepEqual(asked, ['4-8']);
  assert.equal(said.length, 0);
  // Bytes that cannot be read (or come back short) are a notice, as without a reader.
  const failing = new FakeSupervisord();
  failing.write('app:web', 'stdout', 'one\n');
  const g = follower(
    failing,
    [raw],
    (e) => said.push(e.message),
    async () => raw.subarray(1),
  );
  await g.run();
  assert.equal(g.text(), 'one\n');
  assert.equal(said.length, 1);
});

test('bytes that are not UTF-8 in the last lines when the tail opens: shown escaped too, then the follow goes on', async () => {
  const supervisord = new FakeSupervisord();
  const raw = Buffer.from('one\nb\xff\n', 'latin1');
  supervisord.write('app:web', 'stdout', raw);
  const f = follower(
    supervisord,
    ['after\n'],
    () => undefined,
    async (range) => raw.subarray(range.start, range.end),
  );
  await f.run();
  assert.equal(f.text(), 'one\nb\\xff\nafter\n');
});
