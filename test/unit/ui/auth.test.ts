// Who may use the dashboard: the token (URL once, then the cookie), this server's Host, and for actions the CSRF
// header and this server's Origin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestFacts } from '../../../src/ui/auth.ts';
import { checkRequest, cookieValue, hostNames, newSecrets, sameSecret, sessionCookie } from '../../../src/ui/auth.ts';

const secrets = newSecrets(8080, (n) => Buffer.alloc(n, 7));
const hosts = hostNames('127.0.0.1', 8080);
const cookie = `${secrets.cookieName}=${secrets.token}`;
const get = (url: string, headers: RequestFacts['headers'] = {}): RequestFacts => ({
  method: 'GET',
  url,
  headers: { host: '127.0.0.1:8080', ...headers },
});
const post = (headers: RequestFacts['headers']): RequestFacts => ({
  method: 'POST',
  url: '/actions',
  headers: { host: '127.0.0.1:8080', cookie, ...headers },
});

test('the token is 32 random bytes in hex; the CSRF value is derived from it; the cookie is per port', () => {
  assert.equal(secrets.token, '07'.repeat(32));
  assert.match(secrets.csrf, /^[0-9a-f]{64}$/);
  assert.notEqual(secrets.csrf, secrets.token);
  assert.equal(secrets.cookieName, 'convoy_ui_8080');
  assert.notEqual(newSecrets(1).token, newSecrets(1).token);
});

test('the cookie is HttpOnly and SameSite=Strict', () => {
  assert.equal(sessionCookie(secrets), `convoy_ui_8080=${'07'.repeat(32)}; HttpOnly; SameSite=Strict; Path=/`);
});

test('sameSecret: equal strings only, whatever their length', () => {
  assert.equal(sameSecret('abc', 'abc'), true);
  assert.equal(sameSecret('abd', 'abc'), false);
  assert.equal(sameSecret('ab', 'abc'), false);
  assert.equal(sameSecret(undefined, 'abc'), false);
});

test('cookieValue finds one cookie among others', () => {
  assert.equal(cookieValue('a=1; convoy_ui_8080=xyz; b=2', 'convoy_ui_8080'), 'xyz');
  assert.equal(cookieValue('convoy_ui_80801=xyz', 'convoy_ui_8080'), undefined);
  assert.equal(cookieValue(undefined, 'x'), undefined);
});

test('no token, a wrong token: 401', () => {
  assert.deepEqual(checkRequest(get('/'), secrets, hosts), {
    ok: false,
    status: 401,
    reason: 'no valid token: open the URL convoy ui printed',
  });
  assert.equal(checkRequest(get(`/?token=${'08'.repeat(32)}`), secrets, hosts).ok, false);
  assert.equal(checkRequest(get('/', { cookie: `${secrets.cookieName}=nope` }), secrets, hosts).ok, false);
});

test('the token in the URL: accepted, and the browser is sent to the same URL without it (the cookie carries it)', () => {
  assert.deepEqual(checkRequest(get(`/?token=${secrets.token}&x=1`), secrets, hosts), { ok: true, redirect: '/?x=1' });
  assert.deepEqual(checkRequest(get('/events', { cookie }), secrets, hosts), { ok: true });
});

test("a Host that is not this server's is refused (DNS rebinding), even with the cookie", () => {
  const v = checkRequest(get('/', { cookie, host: 'evil.example:8080' }), secrets, hosts);
  assert.deepEqual(v, {
    ok: false,
    status: 403,
    reason: "Host 'evil.example:8080' is not this server (expected 127.0.0.1:8080 or localhost:8080)",
  });
  assert.equal(checkRequest(get('/', { cookie, host: 'localhost:8080' }), secrets, hosts).ok, true);
  assert.equal(checkRequest(get('/', { cookie, host: 'any.name:8080' }), secrets, 'any').ok, true);
});

test('an action needs the CSRF header and an Origin of this server', () => {
  const origin = 'http://127.0.0.1:8080';
  assert.deepEqual(checkRequest(post({ 'x-convoy-csrf': secrets.csrf, origin }), secrets, hosts), { ok: true });
  assert.deepEqual(checkRequest(post({ origin }), secrets, hosts), {
    ok: false,
    status: 403,
    reason: 'an action needs the x-convoy-csrf header of the page',
  });
  assert.deepEqual(
    checkRequest(post({ 'x-convoy-csrf': secrets.csrf, origin: 'http://evil.example' }), secrets, hosts),
    {
      ok: false,
      status: 403,
      reason: "Origin 'http://evil.example' is not this server's (http://127.0.0.1:8080)",
    },
  );
  assert.equal(checkRequest(post({ 'x-convoy-csrf': secrets.csrf }), secrets, hosts).ok, false);
  assert.equal(checkRequest(post({ 'x-convoy-csrf': secrets.token, origin }), secrets, hosts).ok, false);
});

test('hostNames: loopback also answers as localhost; a wildcard address as any name; IPv6 in brackets', () => {
  assert.deepEqual(hostNames('127.0.0.1', 1), ['127.0.0.1:1', 'localhost:1']);
  assert.deepEqual(hostNames('::1', 1), ['[::1]:1', 'localhost:1']);
  assert.deepEqual(hostNames('10.0.0.5', 1), ['10.0.0.5:1']);
  assert.equal(hostNames('0.0.0.0', 1), 'any');
});
