// Encrypted identity files against real sshd hosts: through ssh-agent when it holds the key, else one passphrase
// prompt per key per run on a real terminal (a pty), else an error that names the key and `ssh-add`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convoy, integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';
import { convoyOnTerminal } from './support/pty.ts';

const skip = integrationSkipReason();
const passphrase = 'tr0ub4dor&3 sesame';

describe('encrypted identity files on 3 sandbox hosts', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  let home: string;
  let keyFile: string;
  let inventory: string;
  let agentPid: number | undefined;
  let agentSocket: string;

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.25.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-passphrase-'));
    home = path.join(work, 'home');
    mkdirSync(home);
    keyFile = path.join(work, 'id_locked');
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'locked', '-f', keyFile]);
    assert.equal(keygen.status, 0, keygen.stderr?.toString());
    const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    for (const address of fleet.addresses) {
      const r = openssh(fleet, address, `echo '${publicKey}' >> /root/.ssh/authorized_keys`);
      assert.equal(r.code, 0, r.stderr);
    }
    inventory = path.join(work, 'inventory.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = root\nidentity = ${keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
        '\n[group:all3]\nhosts = h[1:3]\n',
    );
    agentSocket = path.join(work, 'agent.sock');
  });
  after(() => {
    if (agentPid) process.kill(agentPid, 'SIGTERM');
    fleet?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** `convoy exec all3 -- hostname` on a pty, answering prompts with `answers`. */
  function onTerminal(answers: string[], env: NodeJS.ProcessEnv = {}) {
    const args = ['-i', inventory, 'exec', 'all3', '--', 'hostname'];
    return convoyOnTerminal(args, { home, answers, promptMark: ` for ${keyFile}: `, env });
  }

  test('on a terminal the passphrase is asked once for 3 hosts, hidden, and the run succeeds', () => {
    const r = onTerminal([passphrase]);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.prompts, 1, r.output);
    assert.ok(r.output.includes(`Enter passphrase for ${keyFile}: `), r.output);
    for (let i = 1; i <= 3; i++) assert.match(r.output, new RegExp(`h${i} \\| sandbox-${i}`));
    assert.ok(!r.output.includes(passphrase), 'the passphrase is not echoed or printed');
    assert.ok(!r.output.includes('sesame'), 'not even part of it');
  });

  test('a wrong passphrase is asked again (as ssh-add), then the right one works', () => {
    const r = onTerminal(['not it', passphrase]);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.prompts, 2, r.output);
    assert.ok(r.output.includes(`Bad passphrase, try again for ${keyFile}: `), r.output);
  });

  test('three wrong passphrases: every host fails naming the key, exit 4, nothing typed is printed', () => {
    const r = onTerminal(['wrong-one', 'wrong-two', 'wrong-three']);
    assert.equal(r.code, 4, r.output);
    assert.equal(r.prompts, 3, r.output);
    assert.equal(r.output.split(`the key ${keyFile}: wrong passphrase, 3 tries`).length - 1, 3, r.output);
    assert.ok(!/wrong-(one|two|three)/.test(r.output), r.output);
  });

  test('without a terminal or an agent: exit 4, naming the key and `ssh-add <key>`', () => {
    const r = convoy(['-i', inventory, 'exec', 'all3', '--', 'hostname'], { env: { HOME: home, SSH_AUTH_SOCK: '' } });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(`the key ${keyFile} is encrypted, no ssh-agent runs (SSH_AUTH_SOCK)`), r.stdout);
    assert.ok(r.stdout.includes(`ssh-add ${keyFile}`), r.stdout);
  });

  test('the same key through ssh-agent: used on a terminal without a prompt, and without a terminal', () => {
    const agent = spawnSync('ssh-agent', ['-a', agentSocket, '-s'], { encoding: 'utf8' });
    assert.equal(agent.status, 0, agent.stderr);
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
    const env = { SSH_AUTH_SOCK: agentSocket };
    const empty = convoy(['-i', inventory, 'exec', 'all3', '--', 'hostname'], { env: { HOME: home, ...env } });
    assert.equal(empty.code, 4, empty.stdout);
    assert.ok(empty.stdout.includes(`the key ${keyFile} is encrypted, no ssh-agent holds it`), empty.stdout);
    // The agent gets the key from a decrypted copy (the same key): ssh-add would ask for the passphrase.
    const copy = path.join(work, 'id_copy');
    copyFileSync(keyFile, copy);
    const decrypt = spawnSync('ssh-keygen', ['-q', '-p', '-P', passphrase, '-N', '', '-f', copy], { encoding: 'utf8' });
    assert.equal(decrypt.status, 0, decrypt.stderr);
    const added = spawnSync('ssh-add', [copy], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    // The key's own public part identifies it: no .pub file needed.
    rmSync(`${keyFile}.pub`);
    const r = onTerminal([], env);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.prompts, 0, r.output);
    assert.doesNotMatch(r.output, /passphrase/i);
    const plain = convoy(['-i', inventory, 'exec', 'all3', '--', 'hostname'], { env: { HOME: home, ...env } });
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.equal((plain.stdout.match(/^h\d \| sandbox-\d$/gm) ?? []).length, 3, plain.stdout);
  });
});
