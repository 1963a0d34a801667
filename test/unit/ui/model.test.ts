// What the page receives of a host: programs as Supervisor names their states, apps from the deploy record, a failed
// poll as a host row, and a signature that ignores the clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConvoyError, ExitCode } from '../../../src/errors.ts';
import type { RecordEntry } from '../../../src/deploy/record.ts';
import { appView, failedView, lastDeployOf, programView, viewSignature } from '../../../src/ui/model.ts';
import type { HostView } from '../../../src/ui/model.ts';
import { processInfo } from '../support/fake-supervisord.ts';

const by = { login: 'deploy', user: 'alice', machine: 'laptop', pid: 1 };
const entry = (action: RecordEntry['action'], release: string, at: string): RecordEntry => ({
  v: 1,
  at,
  run: 'r',
  action,
  outcome: 'verified',
  app: 'web',
  release,
  by,
});

test('a RUNNING program has its pid and start; any other state its reason, no pid', () => {
  const running = { ...processInfo('web_00', 'web', 'RUNNING'), pid: 42, start: 1000, now: 1060 };
  assert.deepEqual(programView(running), {
    group: 'web',
    name: 'web_00',
    state: 'RUNNING',
    pid: 42,
    start: 1000,
    now: 1060,
    info: '',
  });
  const fatal = programView(processInfo('web_01', 'web', 'FATAL'));
  assert.equal(fatal.state, 'FATAL');
  assert.equal(fatal.pid, null);
  assert.equal(fatal.start, null);
  assert.equal(fatal.info, 'Exited too quickly (process log may have details)');
});

test('the last deploy is the last deploy or rollback entry; restarts are not deploys', () => {
  const record = [
    entry('deploy', 'r1', '2026-12-01T10:00:00Z'),
    entry('rollback', 'r0', '2026-12-01T11:00:00Z'),
    entry('restart', 'r0', '2026-12-01T12:00:00Z'),
  ];
  assert.deepEqual(lastDeployOf(record), {
    action: 'rollback',
    outcome: 'verified',
    at: '2026-12-01T11:00:00Z',
    user: 'alice',
    login: 'deploy',
    release: 'r0',
  });
  assert.equal(lastDeployOf([entry('restart', 'r0', 'x')]), undefined);
  assert.deepEqual(appView({ current: 'r0', lockOwner: undefined, record: [] }), {
    release: 'r0',
    lastDeploy: undefined,
  });
});

test('a failed poll: unreachable for SSH failures (exit 4), supervisord down for the rest; apps kept', () => {
  const apps = { web: { release: 'r1' } };
  const lost = new ConvoyError('h1: connect ECONNREFUSED', { exitCode: ExitCode.unreachable });
  assert.deepEqual(failedView('h1', lost, apps), {
    host: 'h1',
    reach: 'unreachable',
    error: 'h1: connect ECONNREFUSED',
    programs: [],
    apps,
  });
  assert.equal(failedView('h1', new Error('no socket'), {}).reach, 'supervisord-down');
});

test('the signature ignores the clock, not the rest', () => {
  const view = (now: number, pid: number): HostView => ({
    host: 'h1',
    reach: 'ok',
    programs: [{ group: 'g', name: 'p', state: 'RUNNING', pid, start: 10, now, info: '' }],
    apps: {},
  });
  assert.equal(viewSignature(view(100, 1)), viewSignature(view(102, 1)));
  assert.notEqual(viewSignature(view(100, 1)), viewSignature(view(100, 2)));
});
