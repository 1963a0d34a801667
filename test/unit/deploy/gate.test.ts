// The gate's failure says why: a program that exited at once brings the last lines of its stderr.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passGate } from '../../../src/deploy/gate.ts';
import type { HostSession } from '../../../src/host/session.ts';
import { FakeSupervisord, processInfo } from '../support/fake-supervisord.ts';
import { linesCutAt } from '../support/utf8-text.ts';

/** A FATAL app:worker whose stderr log holds `stderr`, on a supervisord that decodes log windows strictly. */
function fatalWorker(stderr: Buffer | string): FakeSupervisord {
  const supervisord = new FakeSupervisord();
  supervisord.processes = [processInfo('worker', 'app', 'FATAL')];
  supervisord.write('app:worker', 'stderr', stderr);
  return supervisord;
}

test('a process that exits at once fails the gate with its state and the last lines of its stderr', async () => {
  const stderr =
    "Traceback (most recent call last):\n  File 'x'\npython3: can't open file '/srv/app/current/wroker.py': [Errno 2] No such file or directory\n";
  const r = await passGate({} as HostSession, fatalWorker(stderr), 'app', { startTimeoutMs: 1000, settleMs: 0 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.step, 'wait for RUNNING');
  assert.match(r.problem, /worker FATAL: Exited too quickly/);
  assert.match(r.problem, /stderr of app:worker: .*can't open file '\/srv\/app\/current\/wroker\.py'/);
  assert.deepEqual(r.failing, ['app:worker']);
});

test('the last stderr lines come whole and exact when they are non-ASCII and the read window starts mid-character', async () => {
  const lines = linesCutAt('oops', 60, [2000]);
  const r = await passGate({} as HostSession, fatalWorker(lines.join('\n') + '\n'), 'app', {
    startTimeoutMs: 1000,
    settleMs: 0,
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(r.problem.endsWith(`; stderr of app:worker: ${lines.slice(-3).join(' / ')}`), r.problem);
});

test('a stderr log that cannot be read is said, not left out', async () => {
  const latin1 = Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n', 'latin1');
  const r = await passGate({} as HostSession, fatalWorker(latin1), 'app', { startTimeoutMs: 1000, settleMs: 0 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.match(r.problem, /worker FATAL: Exited too quickly.*; the stderr of app:worker could not be read: .*UTF-8/);
});

test('the health check runs while the settle window runs: the gate takes the longer of the two, not their sum', async () => {
  const supervisord = new FakeSupervisord();
  supervisord.processes = [processInfo('web', 'app', 'RUNNING')];
  let probedAt = NaN;
  const session = {
    probe: async () => {
      probedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { ok: true, detail: '' };
    },
  } as unknown as HostSession;
  const healthcheck = { kind: 'command' as const, target: 'true', timeoutMs: 5000, intervalMs: 100 };
  const started = performance.now();
  const r = await passGate(session, supervisord, 'app', { startTimeoutMs: 1000, settleMs: 400, healthcheck });
  const took = performance.now() - started;
  assert.equal(r.ok, true);
  assert.ok(probedAt - started < 200, `probed ${Math.round(probedAt - started)} ms in`);
  assert.ok(took < 650, `the gate took ${Math.round(took)} ms (settle 400 + health 300 one after the other: 700)`);
});
