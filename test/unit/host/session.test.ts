// The host session bounds every remote step: past the step timeout a command is abandoned and its step fails,
// naming itself and the limit; supervisord calls likewise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepTimeoutError } from '../../../src/host/errors.ts';
import { HostSession } from '../../../src/host/session.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';
import type { CommandResult, ExecOptions, HostConnection } from '../../../src/ssh/connection.ts';
import { SupervisorClient, SupervisorTimeoutError } from '../../../src/supervisor/client.ts';

const host: HostConfig = {
  name: 'web1',
  address: '127.0.0.1',
  port: 22,
  user: 'deploy',
  identityFiles: [],
  sudo: false,
  vars: {},
  groups: [],
};

/** A connection whose commands never end on their own: only an abort ends them (and is remembered). */
function stuckConnection(aborted: string[]): HostConnection {
  // A step's script travels on stdin (`sh -s`): what was abandoned is named by the script it carried.
  return {
    host: 'web1',
    description: 'deploy@web1',
    closed: false,
    exec: (command: string, options: ExecOptions = {}) =>
      new Promise<CommandResult>((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => {
          aborted.push(`${command}: ${String(options.stdin ?? '')}`);
          reject(options.signal?.reason as Error);
        });
      }),
  } as unknown as HostConnection;
}

test('a step that outlives the step timeout is abandoned and fails, naming the step and the limit', async () => {
  const aborted: string[] = [];
  const session = new HostSession(host, stuckConnection(aborted), () => Promise.reject(new Error('no')), 100);
  const started = Date.now();
  await assert.rejects(session.run('afterUpload hook', 'npm ci'), (error: unknown) => {
    assert.ok(error instanceof StepTimeoutError);
    assert.equal(
      error.message,
      'web1: afterUpload hook failed: timed out after 0.1s (step_timeout in the inventory, or --step-timeout)',
    );
    return true;
  });
  assert.ok(Date.now() - started < 1000);
  // The step's command was closed, then its processes were ended by the mark its script gave them (bounded too).
  assert.equal(aborted.length, 2, aborted.join('\n---\n'));
  const mark = /^sh -s: umask 022\nCONVOY_STEP=([0-9a-f]{16}); export CONVOY_STEP\nconvoy_step\(\) \{\nnpm ci\n\}/.exec(
    aborted[0] ?? '',
  )?.[1];
  assert.ok(mark, aborted[0]);
  assert.match(aborted[1] ?? '', new RegExp(`^sh -s: pids=\\$\\(grep -l -z -x 'CONVOY_STEP=${mark}'`));
  await assert.rejects(session.exec('tail -f log'), StepTimeoutError);
});

test('a supervisord call that gets no answer within the limit fails instead of waiting for ever', async () => {
  const never = { kind: 'streamlocal' as const, post: () => new Promise<string>(() => {}) };
  const client = new SupervisorClient('web1', never, undefined, { callTimeoutMs: 100 });
  await assert.rejects(client.getState(), (error: unknown) => {
    assert.ok(error instanceof SupervisorTimeoutError);
    assert.match(error.message, /web1: supervisord did not answer supervisor\.getState within 0\.1s/);
    return true;
  });
});
