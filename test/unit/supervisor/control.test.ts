// start/stop/restart on one host: a process that fails to start comes with the last lines of its logs, or with why
// they could not be read (never silently without them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlProcesses } from '../../../src/supervisor/control.ts';
import { FakeSupervisord, processInfo } from '../support/fake-supervisord.ts';
import { linesCutAt } from '../support/utf8-text.ts';

/** A program `lone` (its own group) that fails to start, with `stderr` in its stderr log. */
function failingLone(stderr: Buffer | string): FakeSupervisord {
  const supervisord = new FakeSupervisord();
  supervisord.processes = [processInfo('lone', 'lone', 'STOPPED')];
  supervisord.spawnErrors.add('lone:lone');
  supervisord.write('lone:lone', 'stderr', stderr);
  return supervisord;
}

test('a failed start shows the last 8 stderr lines exactly, non-ASCII and with the window starting mid-character', async () => {
  const lines = linesCutAt('boom', 80, [2000]);
  const [result] = await controlProcesses(failingLone(lines.join('\n') + '\n'), 'start', ['lone']);
  assert.equal(result?.result, 'failed');
  assert.deepEqual(
    result.logTail,
    lines.slice(-8).map((l) => `stderr: ${l}`),
  );
});

test('a failed start whose stderr log cannot be read says so in its log lines', async () => {
  const [result] = await controlProcesses(failingLone(Buffer.from('caf\xe9\n', 'latin1')), 'start', ['lone']);
  assert.equal(result?.result, 'failed');
  assert.equal(result.logTail?.length, 1, String(result.logTail));
  assert.match(result.logTail[0] ?? '', /^\(its stderr could not be read: .*UTF-8/);
});
