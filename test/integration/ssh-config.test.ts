// ~/.ssh/config as OpenSSH reads it: for each config below, what Convoy resolves for a host equals what `ssh -G`
// prints, directive by directive. ssh takes the home from the password database, so ssh runs as a throwaway
// account whose home is this test's state dir (never root's real ~/.ssh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseInventory } from '../../src/inventory/index.ts';
import type { HostConfig } from '../../src/inventory/index.ts';
import { fileSystemIo } from '../../src/inventory/ssh-config-io.ts';
import { cases } from './ssh-config-cases.ts';

const needs = [
  process.getuid?.() === 0 ? '' : 'root',
  spawnSync('ssh', ['-V']).status === 0 ? '' : 'ssh',
  spawnSync('useradd', ['--help']).status === 0 ? '' : 'useradd',
].filter(Boolean);
const skip = needs.length > 0 ? `needs ${needs.join(', ')} (runs ssh -G as a throwaway account)` : undefined;
if (skip) console.log(`# ssh-config comparison skipped: ${skip}`);

// `ssh -G` output: lower-case directive → its values (identityfile and certificatefile repeat).
function sshG(user: string, home: string, name: string): Map<string, string[]> {
  const run = spawnSync('runuser', ['-u', user, '--', 'ssh', '-G', name], {
    encoding: 'utf8',
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, USER: user },
  });
  assert.equal(run.status, 0, `ssh -G ${name}: ${run.stderr}`);
  const out = new Map<string, string[]>();
  for (const line of run.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space).toLowerCase();
    out.set(key, [...(out.get(key) ?? []), line.slice(space + 1)]);
  }
  return out;
}

// What ssh does to an IdentityFile or CertificateFile when it loads it (ssh -G prints them unexpanded).
function expandFile(value: string, host: HostConfig, home: string, localUser: string): string {
  const tokens: Record<string, string> = { d: home, h: host.address, r: host.user, u: localUser, p: String(host.port) };
  const tilde = value.startsWith('~/') ? path.join(home, value.slice(2)) : value;
  return tilde.replace(/%(.)/g, (all, c: string) => (c === '%' ? '%' : (tokens[c] ?? all)));
}

// Convoy's value for each directive in ssh -G's terms; where Convoy has none, what OpenSSH prints by default.
function convoyView(host: HostConfig, home: string, localUser: string): Record<string, string[] | undefined> {
  const seconds = (ms: number | undefined, none: string) => [ms === undefined ? none : String(ms / 1000)];
  const ids = host.identityFiles;
  return {
    hostname: [host.address],
    user: [host.user],
    port: [String(host.port)],
    identityfile: ids.length === 0 ? undefined : ids,
    certificatefile: host.certificateFiles,
    identitiesonly: [host.identitiesOnly ? 'yes' : 'no'],
    identityagent: host.identityAgent === undefined ? undefined : [host.identityAgent],
    userknownhostsfile: [
      (
        host.userKnownHostsFiles ??
        ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'].map((f) => expandFile(f, host, home, localUser))
      ).join(' '),
    ],
    hostkeyalias: host.hostKeyAlias === undefined ? undefined : [host.hostKeyAlias],
    proxycommand: host.proxyCommand === undefined ? undefined : [host.proxyCommand],
    proxyjump: host.proxyJump === undefined ? undefined : [host.proxyJump],
    bindaddress: host.bindAddress === undefined ? undefined : [host.bindAddress],
    connecttimeout: seconds(host.connectTimeoutMs, 'none'),
    serveraliveinterval: seconds(host.serverAliveIntervalMs, '0'),
    serveralivecountmax: [String(host.serverAliveCountMax ?? 3)],
  };
}

describe('~/.ssh/config: Convoy resolves what ssh -G prints', { skip }, () => {
  let home: string;
  const user = `cvsc${process.pid % 100000}`;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'convoy-sshconfig-'));
    const made = spawnSync('useradd', ['-d', home, '-M', '-s', '/bin/sh', user], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
  });
  after(() => {
    spawnSync('userdel', [user]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  for (const c of cases) {
    test(c.title, () => {
      rmSync(path.join(home, '.ssh'), { recursive: true, force: true });
      mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
      for (const [file, text] of Object.entries(c.files)) {
        const full = path.join(home, file.replaceAll('$HOME', '.'));
        mkdirSync(path.dirname(full), { recursive: true, mode: 0o700 });
        writeFileSync(full, text.replaceAll('$HOME', home), { mode: 0o600 });
      }
      spawnSync('chown', ['-R', `${user}:`, home]);
      chmodSync(home, 0o700);
      const configText = c.files['.ssh/config']?.replaceAll('$HOME', home);
      const inventory = parseInventory(c.names.map((n) => `[host:${n}]`).join('\n'), path.join(home, 'inv.ini'), {
        homeDir: home,
        defaultUser: user,
        localUser: user,
        sshConfigFile: path.join(home, '.ssh', 'config'),
        sshConfigText: configText,
        systemSshConfigFile: '/etc/ssh/ssh_config',
        sshConfigIo: fileSystemIo(home, user, true),
      });
      for (const name of c.names) {
        const host = inventory.hosts.find((h) => h.name === name) ?? assert.fail(name);
        const ssh = sshG(user, home, name);
        const ours = convoyView(host, home, user);
        for (const [directive, value] of Object.entries(ours)) {
          let theirs = ssh.get(directive);
          if (directive === 'identityfile' || directive === 'certificatefile')
            theirs = theirs?.map((f) => expandFile(f, host, home, user));
          if (directive === 'identityfile' && value === undefined) continue; // Convoy's own default keys, by design
          assert.deepEqual(value, theirs, `${c.title}: ${name}: ${directive}`);
        }
      }
    });
  }
});
