// What ~/.ssh/config changes in how a host is reached: host key lookup (HostKeyAlias, UserKnownHostsFile), the
// local address (BindAddress), which keys are offered (IdentitiesOnly, IdentityAgent, the MaxAuthTries cap), the
// connection itself (ProxyCommand), and CertificateFile named when authentication fails.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from '../../../src/ssh/connect.ts';
import type { ConnectSettings, SshTarget } from '../../../src/ssh/connect.ts';
import { generateEd25519 } from '../../../src/ssh/keys.ts';
import type { FakeServer } from './fake-server.ts';
import { clientKey, hostKey, startSshServer } from './fake-server.ts';
import { connectSettings, rejection } from './connect-support.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-sshcfg-'));
const keyFile = path.join(dir, 'id');
writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
// Only the public half on disk: with IdentitiesOnly the agent's copy of this key is the one offered.
const pubOnly = path.join(dir, 'agent-held');
writeFileSync(`${pubOnly}.pub`, `${clientKey.public}\n`);

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

const settings = (extra: Partial<ConnectSettings> = {}): ConnectSettings => connectSettings(dir, extra);

describe('ssh config directives when connecting', () => {
  let server: FakeServer;
  let agent: ChildProcess | undefined;
  let agentSocket: string;
  const seen: { ips: string[]; offered: string[] } = { ips: [], offered: [] };
  const target = (extra: Partial<SshTarget> = {}): SshTarget => ({
    name: 'fake',
    address: '127.0.0.1',
    port: server.port,
    user: 'deploy',
    identityFiles: [keyFile],
    knownHosts: write(`kh-${Math.random()}`, `[127.0.0.1]:${server.port} ${hostKey.public}\n`),
    ...extra,
  });
  before(async () => {
    server = await startSshServer(
      (_command, channel) => {
        channel.exit(0);
        channel.end();
      },
      {
        onConnection: (info) => seen.ips.push(info.ip),
        onKeyOffered: (blob) => seen.offered.push(blob.toString('base64')),
      },
    );
    // A real ssh-agent holding 8 keys the server refuses, then the one it accepts.
    agentSocket = path.join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 8; i++) {
      const file = write(`wrong${i}`, generateEd25519(`wrong${i}`).private);
      execFileSync('ssh-add', ['-q', file], { env: { SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
    }
    execFileSync('ssh-add', ['-q', keyFile], { env: { SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
  });
  after(async () => {
    agent?.kill();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('HostKeyAlias: the key is looked up under the alias, not the address', async () => {
    const knownHosts = write('kh-alias', `web-alias ${hostKey.public}\n`);
    (await connect(target({ knownHosts, hostKeyAlias: 'web-alias' }), settings())).close();
  });

  test('UserKnownHostsFile: every file of the list is read', async () => {
    const empty = write('kh-empty', '');
    const known = write('kh-second', `[127.0.0.1]:${server.port} ${hostKey.public}\n`);
    const { knownHosts: _unused, ...rest } = target();
    (await connect({ ...rest, userKnownHostsFiles: [empty, known] }, settings())).close();
  });

  test('BindAddress: the connection leaves from that local address', async () => {
    (await connect(target({ bindAddress: '127.0.26.7' }), settings())).close();
    assert.equal(seen.ips.at(-1), '127.0.26.7');
  });

  test('IdentitiesOnly: of the agent keys, only the configured identity is offered', async () => {
    seen.offered = [];
    (await connect(target({ identityFiles: [pubOnly], identitiesOnly: true }), settings({ agentSocket }))).close();
    assert.deepEqual(seen.offered.length, 1);
  });

  test('IdentityFile naming the .pub file picks that key from the agent', async () => {
    seen.offered = [];
    const only = { identityFiles: [`${pubOnly}.pub`], identitiesOnly: true };
    (await connect(target(only), settings({ agentSocket }))).close();
    assert.deepEqual(seen.offered.length, 1);
  });

  test('without IdentitiesOnly, no more keys are offered than sshd allows (MaxAuthTries 6)', async () => {
    seen.offered = [];
    const error = await rejection(connect(target({ identityFiles: [pubOnly] }), settings({ agentSocket })));
    assert.equal(error.kind, 'auth');
    assert.ok(seen.offered.length <= 6, `offered ${seen.offered.length} keys`);
    assert.match(error.message, /offered 6 of 9 keys.*IdentitiesOnly/);
  });

  test('IdentityAgent: none turns the agent off; a path replaces SSH_AUTH_SOCK', async () => {
    const off = await rejection(
      connect(target({ identityFiles: [pubOnly], identityAgent: 'none' }), settings({ agentSocket })),
    );
    assert.match(off.message, /no key to offer/);
    const only = { identityFiles: [pubOnly], identitiesOnly: true, identityAgent: agentSocket };
    (await connect(target(only), settings({ agentSocket: '/nonexistent' }))).close();
  });

  test('ProxyCommand: its stdin and stdout are the connection, with %h and %p expanded', async () => {
    // The relay reaches the server whatever the address; it records the %h it was given.
    const relay = write(
      'relay.mjs',
      "import fs from 'node:fs'; import net from 'node:net'; fs.writeFileSync(process.argv[4], process.argv[3]); " +
        "const s = net.connect(Number(process.argv[2]), '127.0.0.1'); process.stdin.pipe(s).pipe(process.stdout);",
    );
    const marker = path.join(dir, 'proxied');
    const address = 'via-proxy.invalid';
    const knownHosts = write('kh-proxy', `[${address}]:${server.port} ${hostKey.public}\n`);
    const proxyCommand = `'${process.execPath}' ${relay} %p %h ${marker}`;
    (await connect(target({ address, knownHosts, proxyCommand }), settings())).close();
    assert.equal(readFileSync(marker, 'utf8'), address);
  });

  test('a ProxyCommand that fails: the host is unreachable, and the message shows what the command said', async () => {
    const error = await rejection(connect(target({ proxyCommand: 'convoy-no-such-proxy %h' }), settings()));
    assert.deepEqual([error.kind, error.unreachable, error.retryable], ['proxy-command', true, false]);
    assert.match(
      error.message,
      /ProxyCommand 'convoy-no-such-proxy %h' exited with code 127 before the SSH handshake: .*not found/,
    );
  });

  test('CertificateFile is named when authentication fails: ssh2 cannot offer certificates', async () => {
    const wrong = write('wrong-only', generateEd25519('x').private);
    const error = await rejection(
      connect(target({ identityFiles: [wrong], certificateFiles: ['/home/me/.ssh/id-cert.pub'] }), settings()),
    );
    assert.match(error.message, /CertificateFile \/home\/me\/\.ssh\/id-cert\.pub.*cannot offer certificates/);
    assert.match(error.message, /set `transport = openssh` for \S+ in the inventory/);
  });
});
