// ~/.ssh/config end to end against a real sshd: a host reached through an Include'd file, by ProxyCommand, its key
// known under a HostKeyAlias in a UserKnownHostsFile, with IdentitiesOnly picking the agent's right key out of nine;
// without IdentitiesOnly, sshd's MaxAuthTries ends the attempt and the message says what to set.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateEd25519 } from '../../src/ssh/keys.ts';
import { convoy, integrationSkipReason, startFleet } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('~/.ssh/config against a real sshd', { skip }, () => {
  let fleet: TestFleet;
  let home: string;
  let agent: ChildProcess | undefined;
  const agentSocket = () => path.join(home, 'agent.sock');
  const run = (args: string[]): CliResult =>
    convoy(['-i', path.join(home, 'inv.ini'), ...args], { env: { HOME: home, SSH_AUTH_SOCK: agentSocket() } });

  before(async () => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.26.1' });
    home = mkdtempSync(path.join(os.tmpdir(), 'convoy-sshconfig-it-'));
    const ssh = path.join(home, '.ssh');
    mkdirSync(path.join(ssh, 'conf.d'), { recursive: true, mode: 0o700 });
    const address = fleet.addresses[0] ?? '';
    // The relay is the connection: it reaches sshd and records the %h and %p it was given.
    writeFileSync(
      path.join(home, 'relay.mjs'),
      "import fs from 'node:fs'; import net from 'node:net'; fs.writeFileSync(process.argv[4], `${process.argv[2]}:${process.argv[3]}`); " +
        'const s = net.connect(Number(process.argv[3]), process.argv[2]); process.stdin.pipe(s).pipe(process.stdout);',
    );
    const hostKey = readFileSync(fleet.knownHosts, 'utf8').split('\n')[0]?.split(' ').slice(1).join(' ');
    writeFileSync(path.join(ssh, 'aliased_known_hosts'), `sandbox-alias ${hostKey}\n`);
    writeFileSync(path.join(ssh, 'config'), 'Include conf.d/*.conf\n');
    writeFileSync(
      path.join(ssh, 'conf.d', 'fleet.conf'),
      [
        'Host viaproxy greedy',
        `  HostName ${address}`,
        `  Port ${fleet.port}`,
        '  User root',
        '  HostKeyAlias sandbox-alias',
        '  UserKnownHostsFile ~/.ssh/aliased_known_hosts',
        `  ProxyCommand '${process.execPath}' ~/relay.mjs %h %p ~/proxied`,
        'Host viaproxy',
        '  IdentitiesOnly yes',
        '  IdentityFile ~/.ssh/only.pub',
        '',
      ].join('\n'),
    );
    // Only the public half on disk: the key is used from the agent, as an encrypted key would be.
    writeFileSync(path.join(ssh, 'only.pub'), readFileSync(`${fleet.keyFile}.pub`));
    writeFileSync(path.join(home, 'inv.ini'), '[host:viaproxy]\n[host:greedy]\n');
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket()], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(agentSocket()); i++) await new Promise((r) => setTimeout(r, 50));
    const add = (file: string) => execFileSync('ssh-add', ['-q', file], { env: { SSH_AUTH_SOCK: agentSocket() } });
    for (let i = 0; i < 8; i++) {
      const file = path.join(home, `wrong${i}`);
      writeFileSync(file, generateEd25519(`wrong${i}`).private, { mode: 0o600 });
      add(file);
    }
    add(fleet.keyFile);
  });
  after(() => {
    agent?.kill();
    fleet?.down();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('Include, ProxyCommand, HostKeyAlias, UserKnownHostsFile and IdentitiesOnly with 9 agent keys', () => {
    const result = run(['exec', 'viaproxy', '--', 'echo', 'reached']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /reached/);
    assert.equal(readFileSync(path.join(home, 'proxied'), 'utf8'), `${fleet.addresses[0]}:${fleet.port}`);
  });

  test('without IdentitiesOnly, 6 keys at most (sshd MaxAuthTries), and the failure says what to set', () => {
    const result = run(['exec', 'greedy', '--', 'true']);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /offered 6 of 9 keys.*IdentitiesOnly yes/);
  });
});
