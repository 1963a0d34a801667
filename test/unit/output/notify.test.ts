// The webhook body (docs/deploy.md, "Notifications"): its fields and its one-line Slack text, per event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostDeployResult } from '../../../src/deploy/results.ts';
import { blankResult } from '../../../src/deploy/results.ts';
import type { DeployOutcome } from '../../../src/deploy/results.ts';
import { endBody, showNotifyWarnings, startBody } from '../../../src/output/notify.ts';
import type { JsonRecord, Output } from '../../../src/output/output.ts';

const run = { action: 'deploy' as const, who: 'alice@laptop', run: '1a2b3c4d5e6f7a8b' };
const app = { app: 'hello', hosts: ['web1', 'web2'] };
const release = '20261125T204903Z-1a2b3c4d5e6f7a8b';

function result(host: string, outcome: DeployOutcome, rel: string | undefined = release): HostDeployResult {
  return { ...blankResult(host, 'hello', outcome), release: rel };
}

test('start: no release yet (a rollback names the one asked for), no outcome, a one-line text', () => {
  assert.deepEqual(startBody(run, app), {
    event: 'start',
    action: 'deploy',
    app: 'hello',
    release: null,
    hosts: ['web1', 'web2'],
    who: 'alice@laptop',
    outcome: null,
    durationMs: 0,
    run: '1a2b3c4d5e6f7a8b',
    text: 'alice@laptop is deploying hello to web1, web2 (run 1a2b3c4d5e6f7a8b)',
  });
  const back = startBody({ ...run, action: 'rollback' }, { ...app, release });
  assert.equal(back.release, release);
  assert.equal(back.text, `alice@laptop is rolling back hello to ${release} on web1, web2 (run 1a2b3c4d5e6f7a8b)`);
  const many = startBody(run, { app: 'hello', hosts: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
  assert.equal(many.text, 'alice@laptop is deploying hello to a, b, c, d, e and 2 more (run 1a2b3c4d5e6f7a8b)');
});

test('success: every host ok; the release they all run, counts and each host result', () => {
  const body = endBody(run, app, [result('web1', 'deployed'), result('web2', 'unchanged')], 3412.4);
  assert.deepEqual(body, {
    event: 'success',
    action: 'deploy',
    app: 'hello',
    release,
    hosts: ['web1', 'web2'],
    who: 'alice@laptop',
    outcome: { ok: 2, failed: 0, unreachable: 0, skipped: 0, results: { web1: 'deployed', web2: 'unchanged' } },
    durationMs: 3412,
    run: '1a2b3c4d5e6f7a8b',
    text: `deploy of hello succeeded on 2 hosts: ${release} (3.4s, alice@laptop)`,
  });
  const differ = endBody(run, app, [result('web1', 'deployed'), result('web2', 'deployed', 'other')], 10);
  assert.equal(differ.release, null);
  assert.equal(differ.text, 'deploy of hello succeeded on 2 hosts (0.0s, alice@laptop)');
});

test('failure: any host not ok, or the run stopped on an error; the text names the hosts that failed', () => {
  const body = endBody(run, app, [result('web1', 'deployed'), result('web2', 'reverted', 'old')], 31_200);
  assert.equal(body.event, 'failure');
  assert.equal(body.release, release, 'the release of the hosts that ended ok');
  assert.deepEqual(body.outcome, {
    ok: 1,
    failed: 1,
    unreachable: 0,
    skipped: 0,
    results: { web1: 'deployed', web2: 'reverted' },
  });
  assert.equal(body.text, 'deploy of hello FAILED on 1 of 2 hosts: web2 reverted (31.2s, alice@laptop)');
  const stopped = endBody(run, app, [], 500, 'nothing was touched: 1 problem');
  assert.equal(stopped.event, 'failure');
  assert.equal(stopped.error, 'nothing was touched: 1 problem');
  assert.equal(stopped.text, 'deploy of hello FAILED: nothing was touched: 1 problem (0.5s, alice@laptop)');
});

test('a webhook that failed is a warning line, or a warning record under --json', () => {
  const lines: string[] = [];
  const records: JsonRecord[] = [];
  const out = (jsonMode: boolean): Output => ({
    jsonMode,
    color: false,
    line: (t) => lines.push(t),
    record: (r) => records.push(r),
    warn: (t) => lines.push(`stderr: ${t}`),
  });
  const warning = {
    webhook: 'hooks.example.com',
    reason: 'did not answer within 5s',
    event: 'success' as const,
    action: 'deploy' as const,
    app: 'hello',
  };
  showNotifyWarnings(out(false), [warning]);
  showNotifyWarnings(out(true), [warning]);
  const message =
    'webhook hooks.example.com did not answer within 5s (success of deploy hello; the deploy is not affected)';
  assert.deepEqual(lines, [`stderr: warning: ${message}`]);
  assert.deepEqual(records, [
    { type: 'warning', message, webhook: 'hooks.example.com', event: 'success', app: 'hello' },
  ]);
});
