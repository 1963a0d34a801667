// What Convoy trusts on the machine it runs on and on the way to a host: host keys of another type than the known one,
// a sandbox state file that names another directory, a ~/.convoy or persist socket that is not the user's alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ssh2 from 'ssh2';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { persistSocketPath } from '../../src/host/fleet.ts';
import { convoy, integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('trust on 1 sandbox host', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  const persistPidFiles: string[] = [];
  before(() => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.20.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-trust-'));
  });
  after(() => {
    for (const pidFile of persistPidFiles) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      } catch {
        // ended already
      }
    }
    fleet?.down();
    // Only if `up` wrongly started a fleet over a forged state file (the test below fails then).
    if (work) convoy(['sandbox', 'down', '--state-dir', path.join(work, 'forged')]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const address = () => fleet.addresses[0] as string;
  const inventory = () => {
    const file = path.join(work, 'fleet.ini');
    writeFileSync(file, `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\n\n[host:t1]\naddress = ${address()}\n`);
    return file;
  };

  /** A known_hosts file that knows an RSA key for the host, whose sshd has only an ed25519 key. */
  const knownRsaOnly = () => {
    const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).public.split(' ').slice(0, 2).join(' ');
    const file = path.join(work, `known_hosts_rsa_${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, `${address()} ${rsa}\n`);
    return file;
  };

  test('a host key of another type than the known one is refused with --accept-new-host-keys, not recorded', () => {
    const file = knownRsaOnly();
    const before = readFileSync(file, 'utf8');
    const r = convoy(['-i', inventory(), '--known-hosts', file, '--accept-new-host-keys', 'exec', 't1', '--', 'true'], {
      env: { HOME: work, SSH_AUTH_SOCK: '' },
    });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^t1 ✗ unreachable: root@t1 \(127\.0\.20\.1\): REFUSED: the host key has CHANGED\. Known: \S+known_hosts_rsa_\w+:1 \(ssh-rsa SHA256:\S+\); offered: ssh-ed25519 SHA256:\S+, a key of another type/m,
    );
    assert.equal(readFileSync(file, 'utf8'), before, 'known_hosts is left as it was');
  });

  test('OpenSSH with StrictHostKeyChecking=accept-new refuses the same case (what Convoy follows)', () => {
    const file = knownRsaOnly();
    const before = readFileSync(file, 'utf8');
    const ssh = spawnSync(
      'ssh',
      [
        ...['-F', '/dev/null', '-i', fleet.keyFile, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'],
        ...['-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${file}`],
        ...['-o', 'GlobalKnownHostsFile=/dev/null', `root@${address()}`, 'true'],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(ssh.status, 255, ssh.stderr);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  test('sandbox down with a copy of a running fleet state.json is refused: that fleet runs on, its dir stays', () => {
    const copy = path.join(work, 'copy');
    mkdirSync(copy);
    writeFileSync(path.join(copy, 'state.json'), readFileSync(path.join(fleet.stateDir, 'state.json')));
    const r = convoy(['sandbox', 'down', '--state-dir', copy]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /records the state dir \S+, not \S+\/copy: a copied or edited state file\. Nothing was stopped/,
    );
    assert.ok(existsSync(path.join(fleet.stateDir, 'state.json')));
    assert.equal(openssh(fleet, address(), 'hostname').stdout.trim(), 'sandbox-1');
  });

  test('sandbox up over a state.json that names another dir is refused before it removes or starts anything', () => {
    const victim = path.join(work, 'victim');
    mkdirSync(victim);
    writeFileSync(path.join(victim, 'precious'), 'keep me');
    const forged = path.join(work, 'forged');
    mkdirSync(forged);
    const state: SandboxState = {
      version: 1,
      createdAt: new Date().toISOString(),
      bare: false,
      stateDir: victim,
      inventoryFile: path.join(victim, 'sandbox.ini'),
      clientKeyFile: path.join(victim, 'client_ed25519'),
      knownHostsFile: path.join(victim, 'known_hosts'),
      hosts: [],
    };
    writeFileSync(path.join(forged, 'state.json'), JSON.stringify(state));
    const r = convoy(['sandbox', 'up', '--hosts', '1', '--first-address', '127.0.20.9', '--state-dir', forged]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /records the state dir \S+\/victim, not \S+\/forged/);
    assert.ok(existsSync(path.join(victim, 'precious')));
  });

  /** `convoy --persist 1m exec t1 -- hostname` with HOME set to `home`. */
  const persisted = (home: string) => {
    persistPidFiles.push(`${persistSocketPath(home)}.pid`);
    return convoy(
      ['-i', inventory(), '--known-hosts', fleet.knownHosts, '--persist', '1m', 'exec', 't1', '--', 'hostname'],
      {
        env: { HOME: home, SSH_AUTH_SOCK: '' },
      },
    );
  };

  test('--persist refuses a ~/.convoy that others can write, before any host: exit 2, nothing started', () => {
    const home = mkdtempSync(path.join(work, 'home-'));
    mkdirSync(path.join(home, '.convoy'));
    chmodSync(path.join(home, '.convoy'), 0o777);
    const r = persisted(home);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--persist: \S+\/\.convoy is writable by its group or others \(mode 0777\)/);
    assert.equal(existsSync(persistSocketPath(home)), false);
  });

  test('--persist: socket 0600 and token 0600 in a 0700 ~/.convoy; a local client without the token is refused', async () => {
    const home = mkdtempSync(path.join(work, 'home-'));
    const r = persisted(home);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const socketPath = persistSocketPath(home);
    assert.equal(statSync(path.dirname(socketPath)).mode & 0o777, 0o700);
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    assert.equal(statSync(`${socketPath}.token`).mode & 0o777, 0o600);
    const socket = net.createConnection(socketPath);
    socket.write('{"op":"lease"}\n');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.once('close', () => resolve(text));
    });
    assert.match(reply, /^\{"ok":false,.*did not carry the token/);
  });
});
