// One app's notifications: the start is sent without holding the deploy up, the end only after the start settled,
// and a webhook that fails is a warning shown once the app is done.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noticeStart } from '../../../src/commands/notify.ts';
import type { FetchFunction } from '../../../src/deploy/notify.ts';
import { blankResult } from '../../../src/deploy/results.ts';
import type { JsonRecord, Output } from '../../../src/output/output.ts';
import { SecretValue } from '../../../src/secrets/values.ts';

const run = { action: 'deploy' as const, who: 'alice@laptop', run: 'abc' };
const app = { app: 'hello', hosts: ['web1'] };
const hooks = [
  { label: 'hooks.example.com', url: new SecretValue('hooks.example.com', 'https://hooks.example.com/x') },
];

function capture(): { out: Output; lines: string[] } {
  const lines: string[] = [];
  const out: Output = {
    jsonMode: false,
    color: false,
    line: (t) => lines.push(t),
    record: (r: JsonRecord) => lines.push(JSON.stringify(r)),
    warn: (t) => lines.push(t),
  };
  return { out, lines };
}

test('the start does not hold the app up; the end is sent only once the start was answered', async () => {
  const events: string[] = [];
  let answerStart: (() => void) | undefined;
  const fetch: FetchFunction = (_url, init) => {
    const event = (JSON.parse(String(init.body)) as { event: string }).event;
    events.push(`sent ${event}`);
    if (event !== 'start') return Promise.resolve(new Response(null, { status: 204 }));
    return new Promise((resolve) => {
      answerStart = () => {
        events.push('start answered');
        resolve(new Response(null, { status: 204 }));
      };
    });
  };
  const { out, lines } = capture();
  const notice = noticeStart({ out, run, timeoutMs: 5000, fetch }, app, hooks);
  events.push('deploy runs');
  const ended = notice.end([{ ...blankResult('web1', 'hello', 'deployed'), release: 'r1' }]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['sent start', 'deploy runs']);
  answerStart?.();
  await ended;
  assert.deepEqual(events, ['sent start', 'deploy runs', 'start answered', 'sent success']);
  assert.deepEqual(lines, []);
});

test('failures of the start and of the end are shown as warnings when the app is done', async () => {
  const fetch: FetchFunction = () => Promise.resolve(new Response('no', { status: 500 }));
  const { out, lines } = capture();
  await noticeStart({ out, run, timeoutMs: 5000, fetch }, app, hooks).end([], 'stopped');
  assert.deepEqual(lines, [
    'warning: webhook hooks.example.com answered HTTP 500 (start of deploy hello; the deploy is not affected)',
    'warning: webhook hooks.example.com answered HTTP 500 (failure of deploy hello; the deploy is not affected)',
  ]);
});

test('an app without webhooks sends nothing', async () => {
  const fetch: FetchFunction = () => assert.fail('no webhook to call');
  const { out, lines } = capture();
  await noticeStart({ out, run, timeoutMs: 5000, fetch }, app, []).end([]);
  assert.deepEqual(lines, []);
});
