import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyCheck } from '../../../src/ssh/connect.ts';
import { hostKeyRefusal } from '../../../src/ssh/connect.ts';
import { fingerprint } from '../../../src/ssh/known-hosts.ts';
import type { KnownHostEntry } from '../../../src/ssh/known-hosts.ts';

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

const offered = blob('ssh-ed25519', 'offered');
const check = (acceptNewHostKeys: boolean): KeyCheck => ({
  target: { name: 'web1', address: '10.0.0.5', port: 2222, user: 'deploy', identityFiles: [] },
  where: 'deploy@web1 (10.0.0.5:2222)',
  knownFile: '/home/me/.ssh/known_hosts',
  hostName: '[10.0.0.5]:2222',
  settings: { acceptNewHostKeys },
});
const entry: KnownHostEntry = {
  file: '/home/me/.ssh/known_hosts',
  line: 7,
  marker: '@revoked',
  patterns: '*',
  keyType: 'ssh-ed25519',
  keyBlob: offered,
};

test('a revoked key is refused, naming the line that revokes it, even when new keys are accepted', () => {
  const refusal = hostKeyRefusal(check(true), { status: 'revoked', entry }, offered);
  assert.equal(refusal?.kind, 'host-key-revoked');
  assert.equal(
    refusal?.message,
    `deploy@web1 (10.0.0.5:2222): REFUSED: the host offered a key marked @revoked in /home/me/.ssh/known_hosts:7 (ssh-ed25519 ${fingerprint(offered)})`,
  );
});

test('an unknown key names the file, and is recorded only when accepted', () => {
  const refusal = hostKeyRefusal(check(false), { status: 'unknown' }, offered);
  assert.equal(refusal?.kind, 'host-key-unknown');
  assert.equal(
    refusal?.message,
    `deploy@web1 (10.0.0.5:2222): REFUSED: unknown host key ssh-ed25519 ${fingerprint(offered)} (not in /home/me/.ssh/known_hosts). ` +
      'Verify it, then pass --accept-new-host-keys once to record it.',
  );
  assert.equal(hostKeyRefusal(check(true), { status: 'unknown' }, offered), undefined);
});

const knownRsa: KnownHostEntry = { ...entry, marker: '', line: 3, keyType: 'ssh-rsa', keyBlob: blob('ssh-rsa', 'old') };

test('a key of another type than the known one is refused as CHANGED even when new keys are accepted', () => {
  const refusal = hostKeyRefusal(check(true), { status: 'changed', known: [knownRsa] }, offered);
  assert.equal(refusal?.kind, 'host-key-changed');
  assert.equal(
    refusal?.message,
    `deploy@web1 (10.0.0.5:2222): REFUSED: the host key has CHANGED. ` +
      `Known: /home/me/.ssh/known_hosts:3 (ssh-rsa ${fingerprint(knownRsa.keyBlob)}); ` +
      `offered: ssh-ed25519 ${fingerprint(offered)}, a key of another type: Convoy asks for the known type first, and the host did not offer it. ` +
      "Someone may be intercepting the connection, or the host was reinstalled. Check with the host's owner, then remove the old key: " +
      "ssh-keygen -R '[10.0.0.5]:2222' -f /home/me/.ssh/known_hosts",
  );
});

test('a host known only through @cert-authority is refused, naming the line and transport = openssh', () => {
  const authority: KnownHostEntry = { ...entry, marker: '@cert-authority', line: 4, patterns: '[10.0.0.*]:2222' };
  for (const accept of [false, true]) {
    const refusal = hostKeyRefusal(check(accept), { status: 'cert-authority', entry: authority }, offered);
    assert.equal(refusal?.kind, 'host-key-unknown');
    assert.equal(
      refusal?.message,
      'deploy@web1 (10.0.0.5:2222): REFUSED: the host is known only through the @cert-authority line /home/me/.ssh/known_hosts:4 (a CA-signed host key), ' +
        'which the ssh2 transport cannot check: set `transport = openssh` for web1 in the inventory (its [host:…] or a group), so that OpenSSH verifies the host certificate',
    );
  }
});
