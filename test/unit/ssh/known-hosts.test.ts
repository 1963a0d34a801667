import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  fingerprint,
  keyTypeOfBlob,
  knownHostName,
  knownKeyTypes,
  matchesHost,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/ssh/known-hosts.ts';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}
const keyA = blob('ssh-ed25519', 'key-a');
const keyB = blob('ssh-ed25519', 'key-b');
const rsa = blob('ssh-rsa', 'rsa-key');

function hashed(name: string, salt = Buffer.from('0123456789abcdefghij')): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const text = [
  '# comment',
  `127.0.1.1 ssh-ed25519 ${keyA.toString('base64')}`,
  `[127.0.1.2]:2222,web2 ssh-ed25519 ${keyA.toString('base64')}`,
  `${hashed('10.0.0.9')} ssh-ed25519 ${keyB.toString('base64')}`,
  `*.example.com,!bad.example.com ssh-rsa ${rsa.toString('base64')}`,
  `@revoked * ssh-ed25519 ${blob('ssh-ed25519', 'stolen').toString('base64')}`,
  'garbage line',
].join('\n');
const entries = parseKnownHosts(text, '/kh');

test('parses entries with their file and line, skipping comments and broken lines', () => {
  assert.deepEqual(
    entries.map((e) => [e.line, e.marker, e.keyType]),
    [
      [2, '', 'ssh-ed25519'],
      [3, '', 'ssh-ed25519'],
      [4, '', 'ssh-ed25519'],
      [5, '', 'ssh-rsa'],
      [6, '@revoked', 'ssh-ed25519'],
    ],
  );
});

test('host names as OpenSSH writes them', () => {
  assert.equal(knownHostName('127.0.1.1', 22), '127.0.1.1');
  assert.equal(knownHostName('127.0.1.2', 2222), '[127.0.1.2]:2222');
});

test('the same key matches; a different key of the same type is a CHANGED key', () => {
  assert.equal(verifyHostKey(entries, '127.0.1.1', keyA).status, 'match');
  const changed = verifyHostKey(entries, '127.0.1.1', keyB);
  assert.equal(changed.status, 'changed');
  assert.equal(changed.status === 'changed' && changed.known[0]?.line, 2);
});

test('the port is part of the name', () => {
  assert.equal(verifyHostKey(entries, '[127.0.1.2]:2222', keyA).status, 'match');
  assert.equal(verifyHostKey(entries, '127.0.1.2', keyA).status, 'unknown');
});

test('hashed names match by HMAC-SHA1 of the name', () => {
  assert.equal(matchesHost(hashed('10.0.0.9'), '10.0.0.9'), true);
  assert.equal(matchesHost(hashed('10.0.0.9'), '10.0.0.8'), false);
  assert.equal(verifyHostKey(entries, '10.0.0.9', keyB).status, 'match');
  assert.equal(verifyHostKey(entries, '10.0.0.9', keyA).status, 'changed');
});

test('wildcards and negation', () => {
  assert.equal(matchesHost('*.example.com,!bad.example.com', 'a.example.com'), true);
  assert.equal(matchesHost('*.example.com,!bad.example.com', 'bad.example.com'), false);
  assert.equal(matchesHost('web?', 'web1'), true);
  assert.equal(matchesHost('web?', 'web10'), false);
});

test('a host with no key in known_hosts is unknown', () => {
  assert.deepEqual(verifyHostKey(entries, '127.9.9.9', keyA), { status: 'unknown' });
});

test('a key of another type than the known one is CHANGED, not unknown: a man in the middle cannot switch types', () => {
  // As OpenSSH 9.2 (StrictHostKeyChecking=accept-new): any known key for the host makes every other key a change.
  const changed = verifyHostKey(entries, 'a.example.com', keyA);
  assert.equal(changed.status, 'changed');
  assert.deepEqual(changed.status === 'changed' && changed.known.map((e) => [e.file, e.line, e.keyType]), [
    ['/kh', 5, 'ssh-rsa'],
  ]);
  assert.deepEqual(knownKeyTypes(entries, 'a.example.com'), ['ssh-rsa']);
});

test('a key of another type is CHANGED also when the known key is under a hashed name or a [host]:port name', () => {
  // Known: ed25519 under a hashed 10.0.0.9 and under [127.0.1.2]:2222; offered: RSA (a man in the middle's key).
  const hashedChange = verifyHostKey(entries, '10.0.0.9', rsa);
  assert.deepEqual(hashedChange.status === 'changed' && hashedChange.known.map((e) => e.line), [4]);
  const portChange = verifyHostKey(entries, '[127.0.1.2]:2222', rsa);
  assert.deepEqual(portChange.status === 'changed' && portChange.known.map((e) => e.line), [3]);
  // The same address on another port is another host, as for OpenSSH.
  assert.deepEqual(verifyHostKey(entries, '[127.0.1.2]:2200', rsa), { status: 'unknown' });
});

test('every known key of the host is named in a change, whatever its type', () => {
  const two = parseKnownHosts(
    [`h1 ssh-rsa ${rsa.toString('base64')}`, `h1 ssh-ed25519 ${keyA.toString('base64')}`].join('\n'),
    '/kh2',
  );
  const changed = verifyHostKey(two, 'h1', blob('ecdsa-sha2-nistp256', 'mitm'));
  assert.deepEqual(changed.status === 'changed' && changed.known.map((e) => [e.line, e.keyType]), [
    [1, 'ssh-rsa'],
    [2, 'ssh-ed25519'],
  ]);
  assert.equal(verifyHostKey(two, 'h1', keyA).status, 'match', 'each known key still matches');
});

test('@revoked and @cert-authority lines are not known keys: a host covered only by a CA is its own verdict', () => {
  const marked = parseKnownHosts(
    [`@revoked h2 ssh-rsa ${rsa.toString('base64')}`, `@cert-authority h2 ssh-ed25519 ${keyB.toString('base64')}`].join(
      '\n',
    ),
    '/kh3',
  );
  const verdict = verifyHostKey(marked, 'h2', keyA);
  assert.equal(verdict.status, 'cert-authority');
  assert.deepEqual(verdict.status === 'cert-authority' && [verdict.entry.file, verdict.entry.line], ['/kh3', 2]);
  assert.deepEqual(verifyHostKey(marked, 'h3', keyA), { status: 'unknown' }, 'a CA line for other names says nothing');
  assert.equal(verifyHostKey(marked, 'h2', rsa).status, 'revoked', 'a revoked key stays refused as revoked');
});

test('a revoked key is refused even where it would otherwise be unknown', () => {
  assert.equal(verifyHostKey(entries, 'anything', blob('ssh-ed25519', 'stolen')).status, 'revoked');
});

test('key type and fingerprint as ssh-keygen shows them', () => {
  assert.equal(keyTypeOfBlob(keyA), 'ssh-ed25519');
  assert.match(fingerprint(keyA), /^SHA256:[A-Za-z0-9+/]{43}$/);
});
