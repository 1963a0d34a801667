// stopProcessGroup with wait: asked of supervisord without waiting (its group calls answer on its 1 s loop tick),
// then polled here until the processes have stopped, within the call timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SupervisorClient, SupervisorTimeoutError } from '../../../src/supervisor/client.ts';
import type { XmlRpcValue } from '../../../src/supervisor/xmlrpc-values.ts';
import { processInfo } from '../support/fake-supervisord.ts';

/** A supervisord whose group `web` (two processes) stops after `pollsUntilStopped` looks, or never. */
class StoppingGroup extends SupervisorClient {
  readonly calls: string[] = [];
  private looks = 0;

  constructor(
    private readonly pollsUntilStopped: number,
    callTimeoutMs?: number,
  ) {
    const transport = { kind: 'streamlocal' as const, post: () => Promise.reject(new Error('no transport here')) };
    super('h1', transport, undefined, { callTimeoutMs, timeoutSource: 'test' });
  }

  override async call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    this.calls.push(`${method}(${params.map(String).join(', ')})`);
    if (method === 'supervisor.stopProcessGroup')
      return ['a', 'b'].map((name) => ({ name, group: 'web', status: 80, description: 'OK' }));
    if (method !== 'supervisor.getAllProcessInfo') throw new Error(`unexpected ${method}`);
    const state = ++this.looks >= this.pollsUntilStopped ? 'STOPPED' : 'STOPPING';
    const other = processInfo('other', 'other', 'STOPPING');
    return [processInfo('a', 'web', state), processInfo('b', 'web', 'EXITED'), other] as unknown as XmlRpcValue[];
  }
}

test('wait: the group is stopped without supervisord waiting, then polled until its processes are stopped', async () => {
  const client = new StoppingGroup(3);
  const results = await client.stopProcessGroup('web', true);
  assert.deepEqual(
    results.map((r) => r.name),
    ['a', 'b'],
  );
  assert.deepEqual(client.calls, [
    'supervisor.stopProcessGroup(web, false)',
    'supervisor.getAllProcessInfo()',
    'supervisor.getAllProcessInfo()',
    'supervisor.getAllProcessInfo()',
  ]);
});

test('without wait: one call, no polling', async () => {
  const client = new StoppingGroup(3);
  await client.stopProcessGroup('web', false);
  assert.deepEqual(client.calls, ['supervisor.stopProcessGroup(web, false)']);
});

test('a process that never stops: a timeout naming it, once the call timeout has passed', async () => {
  const client = new StoppingGroup(Infinity, 100);
  await assert.rejects(client.stopProcessGroup('web', true), (error: unknown) => {
    assert.ok(error instanceof SupervisorTimeoutError);
    assert.match(error.message, /^h1: web:a did not stop within 0.1s \(test\)$/);
    return true;
  });
});
