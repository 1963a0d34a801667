// The dashboard's HTTP server on loopback: every request needs the token (then the cookie), actions the CSRF header
// and this server's Origin; the page is served with a policy that loads nothing from outside.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Dashboard } from '../../../src/ui/dashboard.ts';
import type { ActionRequest } from '../../../src/ui/actions.ts';
import type { HostView } from '../../../src/ui/model.ts';
import type { LogRequest, UiServer } from '../../../src/ui/server.ts';
import { assetsDir, startUiServer } from '../../../src/ui/server.ts';

const h1: HostView = {
  host: 'h1',
  reach: 'ok',
  programs: [{ group: 'web', name: 'web_00', state: 'RUNNING', pid: 5, start: 1, now: 2, info: '' }],
  apps: {},
};
const ran: ActionRequest[] = [];
const tails: LogRequest[] = [];
let server: UiServer;
let token: string;
let cookie: string;
let csrf: string;

before(async () => {
  const dashboard = new Dashboard({
    target: 'web',
    user: 'alice',
    intervalMs: 2000,
    runAction: async (r) => {
      ran.push(r);
      return { value: [], ok: true };
    },
  });
  dashboard.attach({ views: () => [h1], view: (h) => (h === 'h1' ? h1 : undefined), refresh: async () => undefined });
  server = await startUiServer({
    address: '127.0.0.1',
    port: 0,
    dashboard,
    followLog: async (request, onLine) => {
      tails.push(request);
      onLine({ host: 'h1', program: request.program, text: 'a line \u00e9' });
    },
  });
  token = new URL(server.url).searchParams.get('token') ?? '';
  cookie = `convoy_ui_${server.port}=${token}`;
  csrf = createHmac('sha256', token).update('csrf').digest('hex');
});
after(() => server.close());

const origin = () => `http://127.0.0.1:${server.port}`;
const get = (p: string, headers: Record<string, string> = {}) =>
  fetch(`${origin()}${p}`, { headers, redirect: 'manual' });
const postAction = (body: unknown, headers: Record<string, string>) =>
  fetch(`${origin()}/actions`, { method: 'POST', body: JSON.stringify(body), headers: { cookie, ...headers } });

test('the URL is loopback with a 64-hex-digit token', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
});

test('no token: 401 for the page, its files, the events and the actions', async () => {
  for (const p of ['/', '/app.js', '/events', '/logs?program=web:*', '/nothing'])
    assert.equal((await get(p)).status, 401, p);
  assert.equal((await fetch(`${origin()}/actions`, { method: 'POST', body: '{}' })).status, 401);
});

test('the token in the URL sets an HttpOnly, SameSite=Strict cookie and sends the browser to the URL without it', async () => {
  const r = await get(`/?token=${token}`);
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/');
  assert.equal(r.headers.get('set-cookie'), `${cookie}; HttpOnly; SameSite=Strict; Path=/`);
});

test('with the cookie: the page, with a policy that lets it load only its own files', async () => {
  const r = await get('/', { cookie });
  assert.equal(r.status, 200);
  assert.match(
    r.headers.get('content-security-policy') ?? '',
    /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/,
  );
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(await r.text(), /<script src="\/app\.js" defer><\/script>/);
  assert.equal((await get('/app.js', { cookie })).headers.get('content-type'), 'text/javascript; charset=utf-8');
});

test('the page loads nothing from outside and never puts host data into HTML', () => {
  for (const file of ['index.html', 'app.js', 'app.css']) {
    const text = readFileSync(path.join(assetsDir, file), 'utf8');
    assert.doesNotMatch(text, /(src|href)\s*=\s*["']?(https?:)?\/\//, file);
    assert.doesNotMatch(text, /@import|url\(/, file);
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, file);
  }
});

test('the event stream: hello with the CSRF value, then the snapshot', async () => {
  const controller = new AbortController();
  const r = await fetch(`${origin()}/events`, { headers: { cookie }, signal: controller.signal });
  assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = r.body!.getReader();
  let text = '';
  while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  assert.match(
    text,
    new RegExp(`^event: hello\\ndata: \\{"target":"web","user":"alice","intervalMs":2000,"csrf":"${csrf}"\\}\\n\\n`),
  );
  assert.match(text, /event: snapshot\ndata: \{"hosts":\[\{"host":"h1"/);
});

test('an action needs the CSRF header and this Origin; then it is checked and started (202)', async () => {
  const body = { action: 'restart', host: 'h1', programs: ['web:web_00'] };
  assert.equal((await postAction(body, { origin: origin() })).status, 403);
  assert.equal((await postAction(body, { origin: 'http://evil.example', 'x-convoy-csrf': csrf })).status, 403);
  const bad = await postAction({ ...body, programs: ['db:*'] }, { origin: origin(), 'x-convoy-csrf': csrf });
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), 'programs: db:* not on h1 (expected group:name or group:*)');
  assert.deepEqual(ran, []);
  const ok = await postAction(body, { origin: origin(), 'x-convoy-csrf': csrf });
  assert.equal(ok.status, 202);
  assert.deepEqual(ran, [body]);
});

test('a log tail: the request checked, lines as events', async () => {
  assert.equal((await get('/logs?program=web', { cookie })).status, 400);
  assert.equal((await get('/logs?program=web:*&stream=stdin', { cookie })).status, 400);
  const r = await get('/logs?program=web:*&stream=stderr&host=h1', { cookie });
  assert.equal(await r.text(), 'event: line\ndata: {"host":"h1","program":"web:*","text":"a line \u00e9"}\n\n');
  assert.deepEqual(tails, [{ host: 'h1', program: 'web:*', stream: 'stderr' }]);
});
