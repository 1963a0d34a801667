// Ctrl-C says what it does for the command that runs: only commands that take locks talk about locks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenForInterrupts } from '../../../src/cli/interrupt.ts';

function pressCtrlC(command: string, times: number): { said: string; exitCode: number | undefined } {
  let said = '';
  let exitCode: number | undefined;
  const handler = listenForInterrupts(
    (t) => {
      said += t;
    },
    ((code: number) => {
      exitCode = code;
    }) as (code: number) => never,
    () => command,
  );
  try {
    for (let i = 0; i < times; i++) process.emit('SIGINT');
  } finally {
    handler.dispose();
  }
  return { said, exitCode };
}

test('logs -f and status --watch just stop: no word of locks or batches', () => {
  for (const command of ['logs', 'status']) {
    const once = pressCtrlC(command, 1);
    assert.match(once.said, /interrupted/);
    assert.doesNotMatch(once.said, /lock|batch/);
    assert.doesNotMatch(pressCtrlC(command, 2).said, /lock|force-unlock/);
  }
});

test('deploy: the first Ctrl-C finishes steps in flight and releases locks; the second says what may be left', () => {
  assert.match(
    pressCtrlC('deploy', 1).said,
    /no new host or batch starts; steps in flight finish and locks are released/,
  );
  const twice = pressCtrlC('deploy', 2);
  assert.match(twice.said, /--force-unlock/);
  assert.equal(twice.exitCode, 130);
});

test('restart: batches, but no locks', () => {
  const once = pressCtrlC('restart', 1);
  assert.match(once.said, /no new batch starts/);
  assert.doesNotMatch(once.said + pressCtrlC('restart', 2).said, /lock/);
});

test('SIGTERM and SIGHUP stop as the first Ctrl-C does (exit 143 and 129); only a second SIGINT exits at once', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    let said = '';
    let exited: number | undefined;
    const handler = listenForInterrupts(
      (t) => {
        said += t;
      },
      ((c: number) => {
        exited = c;
      }) as (code: number) => never,
      () => 'deploy',
    );
    try {
      process.emit(signal);
      assert.equal(handler.requested(), true);
      assert.equal(handler.exitCode(), code);
      assert.match(said, /no new host or batch starts/);
      // A CI runner sends SIGINT, then SIGTERM a few seconds later: that SIGTERM must not abandon the orderly stop.
      process.emit(signal);
      assert.equal(exited, undefined, `a second ${signal} does not exit at once`);
      process.emit('SIGINT');
      assert.equal(exited, 130);
    } finally {
      handler.dispose();
    }
  }
});

test('SIGINT then SIGTERM (a cancelled CI job): still the orderly stop, exit 130', () => {
  let exited: number | undefined;
  const handler = listenForInterrupts(
    () => {},
    ((c: number) => {
      exited = c;
    }) as (code: number) => never,
    () => 'deploy',
  );
  try {
    process.emit('SIGINT');
    process.emit('SIGTERM');
    assert.equal(exited, undefined);
    assert.equal(handler.exitCode(), 130);
  } finally {
    handler.dispose();
  }
});

test('ui: Ctrl-C is how the dashboard ends, so it says a plain "stopped", no interruption', () => {
  assert.equal(pressCtrlC('ui', 1).said, '\nconvoy ui: stopped\n');
});
