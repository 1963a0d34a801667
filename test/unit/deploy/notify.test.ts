// Webhook URLs read like secrets, and POSTs that end as values: a failure or a timeout is a reason, never an error,
// and never the URL.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import type { FetchFunction, Webhook } from '../../../src/deploy/notify.ts';
import { distinctWebhooks, postToWebhooks, resolveWebhooks } from '../../../src/deploy/notify.ts';
import { SecretValue } from '../../../src/secrets/values.ts';

const secretUrl = 'https://hooks.example.com/services/T0/B0/SECRET';
const hook = (label: string, url = secretUrl): Webhook => ({ label, url: new SecretValue(label, url) });

test('URLs come as written, from the environment or from a file; each prints as its label only', async () => {
  const project = await mkdtemp(path.join(os.tmpdir(), 'convoy-notify-'));
  try {
    await writeFile(path.join(project, 'hook'), 'https://b.example/T/SECRET\n');
    const hooks = await resolveWebhooks(
      [
        { key: 'notify[0]', source: { url: secretUrl } },
        { key: 'notify[1]', source: { env: 'HOOK' } },
        { key: 'notify[2]', source: { file: 'hook' } },
      ],
      { where: "tasks/a.ts: app 'a'", project, env: { HOOK: 'http://127.0.0.1:9/SECRET' } },
    );
    assert.deepEqual(
      hooks.map((h) => [h.label, h.url.reveal()]),
      [
        ['hooks.example.com', secretUrl],
        ['$HOOK', 'http://127.0.0.1:9/SECRET'],
        ['file hook', 'https://b.example/T/SECRET'],
      ],
    );
    assert.ok(!JSON.stringify(hooks).includes('SECRET'));
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});

test('an unset variable or a value that is no URL stops the run, naming where and the source, not the value', async () => {
  const read = resolveWebhooks(
    [
      { key: 'notify', source: { env: 'MISSING' } },
      { key: 'notify', source: { env: 'NOT_A_URL' } },
    ],
    { where: 'inventories/x.ini:3: [defaults]', project: '/', env: { NOT_A_URL: 'hooks.example.com/SECRET' } },
  );
  await assert.rejects(read, (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(error.problems, [
      'inventories/x.ini:3: [defaults] notify: the environment variable MISSING is not set',
      'inventories/x.ini:3: [defaults] notify: $NOT_A_URL is not a URL (expected an http:// or https:// URL)',
    ]);
    assert.ok(!error.message.includes('SECRET'));
    return true;
  });
});

test('the same URL from the inventory and the app is called once, under its first label', () => {
  const hooks = distinctWebhooks([hook('a'), hook('b', 'https://other.example/'), hook('c')]);
  assert.deepEqual(
    hooks.map((h) => h.label),
    ['a', 'b'],
  );
});

test('every webhook gets the JSON body at once; a 2xx is taken, anything else is a failure with a reason', async () => {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch: FetchFunction = (url, init) => {
    calls.push({ url, init });
    const status = url.includes('fail') ? 500 : url.includes('moved') ? 302 : 204;
    return Promise.resolve(new Response(status === 204 ? null : 'x', { status }));
  };
  const failures = await postToWebhooks(
    [hook('ok'), hook('fail', 'https://fail.example/'), hook('moved', 'https://moved.example/')],
    { event: 'start' },
    { timeoutMs: 1000, fetch },
  );
  assert.deepEqual(failures, [
    { label: 'fail', reason: 'answered HTTP 500' },
    { label: 'moved', reason: 'answered HTTP 302' },
  ]);
  assert.equal(calls.length, 3);
  assert.equal(calls[0]?.init.method, 'POST');
  assert.equal(calls[0]?.init.body, '{"event":"start"}');
  assert.deepEqual(calls[0]?.init.headers, { 'content-type': 'application/json', 'user-agent': 'convoy' });
  assert.equal(calls[0]?.init.redirect, 'manual');
});

test('a webhook that never answers is given up after the timeout; a network error says its code, not the URL', async () => {
  const hang: FetchFunction = (_url, init) =>
    new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
  const started = performance.now();
  const [slow] = await postToWebhooks([hook('slow')], {}, { timeoutMs: 200, fetch: hang });
  const took = performance.now() - started;
  assert.deepEqual(slow, { label: 'slow', reason: 'did not answer within 0.2s' });
  assert.ok(took >= 190 && took < 1000, `took ${took} ms`);
  const refused: FetchFunction = () =>
    Promise.reject(
      new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
    );
  const odd: FetchFunction = () => Promise.reject(new Error(`bad thing at ${secretUrl}`));
  assert.deepEqual(await postToWebhooks([hook('down')], {}, { timeoutMs: 200, fetch: refused }), [
    { label: 'down', reason: 'could not be reached (ECONNREFUSED)' },
  ]);
  assert.deepEqual(await postToWebhooks([hook('odd')], {}, { timeoutMs: 200, fetch: odd }), [
    { label: 'odd', reason: 'could not be reached (bad thing at odd)' },
  ]);
});
