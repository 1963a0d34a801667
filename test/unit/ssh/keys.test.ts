import assert from 'node:assert/strict';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../../src/ssh/keys.ts';

test('every generated key parses and has a 32-byte public key (ssh2 alone gets ~1 in 300 wrong)', () => {
  for (let i = 0; i < 1500; i++) {
    const pair = generateEd25519('t');
    const parsed = ssh2.utils.parseKey(pair.private);
    assert.ok(!(parsed instanceof Error), pair.private);
    assert.equal(parsed.getPublicSSH().length, 4 + 11 + 4 + 32);
    assert.match(pair.public, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} t$/);
  }
});
