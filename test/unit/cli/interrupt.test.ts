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
