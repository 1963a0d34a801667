// Identity files: encrypted keys through the agent, else one passphrase prompt per key per run, else a named skip.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import { Keyring, PassphraseError, publicBlobOf } from '../../../src/ssh/identities.ts';
import type { PassphraseQuestion } from '../../../src/ssh/identities.ts';
import { connect } from '../../../src/ssh/connect.ts';
import type { ConnectSettings, SshTarget } from '../../../src/ssh/connect.ts';
import { SshError } from '../../../src/ssh/errors.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';
import type { FakeServer } from './fake-server.ts';
import { startSshServer } from './fake-server.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-identities-'));
const passphrase = 'correct horse';

/** An ed25519 key encrypted with `passphrase` (OpenSSH format), redrawn past ssh2's short-key bug. */
function encryptedKey(name: string): { file: string; publicBlob: Buffer } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 4 });
    const parsed = ssh2.utils.parseKey(pair.private, passphrase);
    if (parsed instanceof Error || parsed.getPublicSSH().length !== 51) continue;
    const file = path.join(dir, name);
    writeFileSync(file, pair.private, { mode: 0o600 });
    return { file, publicBlob: parsed.getPublicSSH() };
  }
}

/** A prompter that answers from a list and records each question. */
function answering(...answers: (string | undefined)[]) {
  const asked: PassphraseQuestion[] = [];
  const prompt = async (question: PassphraseQuestion) => {
    asked.push(question);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return answers.shift();
  };
  return { prompt, asked };
}

test('the public part of an encrypted OpenSSH key is read without its passphrase', () => {
  const key = encryptedKey('public-part');
  assert.deepEqual(publicBlobOf(readFileSync(key.file)), key.publicBlob);
  assert.equal(
    publicBlobOf(Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n')),
    undefined,
  );
});

test('an unencrypted key is used as is, and no one is asked', async () => {
  const file = path.join(dir, 'plain');
  writeFileSync(file, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  const { prompt, asked } = answering();
  const identity = await new Keyring({ prompt }).load(file);
  assert.equal(identity.kind, 'key');
  assert.equal(asked.length, 0);
});

test('a missing file is skipped quietly', async () => {
  const identity = await new Keyring({}).load(path.join(dir, 'nope'));
  assert.equal(identity.kind, 'missing');
});

test('an encrypted key the agent holds is left to the agent: no prompt', async () => {
  const key = encryptedKey('in-agent');
  const { prompt, asked } = answering(passphrase);
  const keyring = new Keyring({ prompt, agentKeys: async () => [key.publicBlob] });
  assert.deepEqual(await keyring.load(key.file), { kind: 'agent', file: key.file });
  assert.equal(asked.length, 0);
});

test('an encrypted PEM key is matched with the agent through the .pub file next to it', async () => {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  const file = path.join(dir, 'pem');
  writeFileSync(file, pair.privateKey, { mode: 0o600 });
  const parsed = ssh2.utils.parseKey(pair.privateKey, passphrase);
  assert.ok(!(parsed instanceof Error));
  writeFileSync(`${file}.pub`, `ssh-rsa ${parsed.getPublicSSH().toString('base64')} me@there\n`);
  const { prompt, asked } = answering(passphrase);
  const held = await new Keyring({ prompt, agentKeys: async () => [parsed.getPublicSSH()] }).load(file);
  assert.equal(held.kind, 'agent');
  assert.equal(asked.length, 0);
  const unlocked = await new Keyring({ prompt, agentKeys: async () => [] }).load(file);
  assert.equal(unlocked.kind, 'key');
  assert.equal(asked.length, 1);
});

test('otherwise the passphrase is asked once, even for 50 hosts at once, and the key is decrypted', async () => {
  const key = encryptedKey('fifty');
  const { prompt, asked } = answering(passphrase);
  const keyring = new Keyring({ prompt, agentKeys: async () => [] });
  const all = await Promise.all(Array.from({ length: 50 }, () => keyring.load(key.file)));
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0], { file: key.file, attempt: 1 });
  for (const identity of all) {
    assert.equal(identity.kind, 'key');
    if (identity.kind === 'key') assert.deepEqual(identity.key.getPublicSSH(), key.publicBlob);
  }
});

test('a wrong passphrase is asked again; the third wrong one fails naming the key, for every host', async () => {
  const key = encryptedKey('wrong');
  const second = answering('nope', passphrase);
  assert.equal((await new Keyring({ prompt: second.prompt }).load(key.file)).kind, 'key');
  assert.deepEqual(
    second.asked.map((q) => q.attempt),
    [1, 2],
  );
  const never = answering('a', 'b', 'c', passphrase);
  const keyring = new Keyring({ prompt: never.prompt });
  const results = await Promise.allSettled([keyring.load(key.file), keyring.load(key.file)]);
  assert.equal(never.asked.length, 3);
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    const error = (result as PromiseRejectedResult).reason as unknown;
    assert.ok(error instanceof PassphraseError);
    assert.equal(error.message, `the key ${key.file}: wrong passphrase, 3 tries`);
    assert.doesNotMatch(error.message, /correct horse|\ba\b|\bb\b/);
  }
});

test('without a prompter (no terminal) an encrypted key is locked, with `ssh-add <key>` as the way out', async () => {
  const key = encryptedKey('no-tty');
  const withAgent = await new Keyring({ agentKeys: async () => [] }).load(key.file);
  assert.deepEqual(withAgent, {
    kind: 'locked',
    file: key.file,
    reason: `the key ${key.file} is encrypted, no ssh-agent holds it, and there is no terminal to ask its passphrase on: run \`ssh-add ${key.file}\``,
  });
  const noAgent = await new Keyring({}).load(key.file);
  assert.equal(noAgent.kind, 'locked');
  if (noAgent.kind === 'locked') assert.match(noAgent.reason, /no ssh-agent runs \(SSH_AUTH_SOCK\)/);
});

test('an empty passphrase gives up on the key (as ssh does) without asking again', async () => {
  const key = encryptedKey('empty');
  const { prompt, asked } = answering('');
  const identity = await new Keyring({ prompt }).load(key.file);
  assert.equal(identity.kind, 'locked');
  assert.equal(asked.length, 1);
  if (identity.kind === 'locked') assert.match(identity.reason, /no passphrase was given/);
});

describe('connect with an encrypted identity file', () => {
  const key = encryptedKey('connect');
  let server: FakeServer;
  before(async () => {
    server = await startSshServer(
      (_command, channel) => {
        channel.exit(0);
        channel.end();
      },
      { publicKey: key.publicBlob },
    );
  });
  after(() => server?.close());

  const target = (): SshTarget => ({
    name: 'fake',
    address: '127.0.0.1',
    port: server.port,
    user: 'deploy',
    identityFiles: [key.file],
  });
  const settings = (keys: Keyring): ConnectSettings => ({
    knownHosts: new KnownHostsStore([]),
    acceptNewHostKeys: true,
    knownHostsFile: path.join(dir, `kh-${Math.random()}`),
    connectTimeoutMs: 3000,
    serverAliveIntervalMs: 0,
    homeDir: dir,
    keys,
  });

  test('the passphrase asked once opens connections to several hosts', async () => {
    const { prompt, asked } = answering(passphrase);
    const shared = settings(new Keyring({ prompt }));
    const connections = await Promise.all([connect(target(), shared), connect(target(), shared)]);
    assert.equal(asked.length, 1);
    for (const connection of connections) {
      assert.equal((await connection.exec('true')).code, 0);
      connection.close();
    }
  });

  test('no terminal and no agent: the host fails with "no key to offer", naming the key and `ssh-add`', async () => {
    const error = await connect(target(), settings(new Keyring({}))).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SshError);
    assert.equal(error.kind, 'auth');
    assert.ok(error.message.includes(`no key to offer: the key ${key.file} is encrypted`), error.message);
    assert.ok(error.message.includes(`ssh-add ${key.file}`), error.message);
  });

  test('three wrong passphrases: the host fails with an auth error naming the key', async () => {
    const { prompt } = answering('x', 'y', 'z');
    const error = await connect(target(), settings(new Keyring({ prompt }))).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SshError);
    assert.equal(error.kind, 'auth');
    assert.equal(
      error.message,
      `deploy@fake (127.0.0.1:${server.port}): the key ${key.file}: wrong passphrase, 3 tries`,
    );
  });
});
