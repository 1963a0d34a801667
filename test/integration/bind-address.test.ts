// The local address connections leave from (--bind-address, the inventory's bind_address): the hosts' sshd sees it as
// the client address ($SSH_CONNECTION), through both transports, and a --persist connection from another address
// is not reused for a run that asks for a new one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { persistSocketPath } from '../../src/host/fleet.ts';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

// This file's addresses: hosts on 127.0.41.1-2, the controller's source addresses on 127.0.41.200-202.
const [fromA, fromB, fromInventory] = ['127.0.41.200', '127.0.41.201', '127.0.41.202'];

describe('bind address: the source address the hosts see', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const ini = (name: string) => path.join(project, name);
  const run = (inventory: string, ...args: string[]) =>
    convoy(['-i', ini(inventory), '--json', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  // What each host's sshd took as the client's address: the first word of $SSH_CONNECTION.
  const seen = (inventory: string, ...flags: string[]): string[] => {
    const r = run(inventory, ...flags, 'exec', 'all', '--', 'echo $SSH_CONNECTION');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return jsonLines<{ host: string; stdout: string }>(r.stdout)
      .results.sort((a, b) => a.host.localeCompare(b.host))
      .map((x) => x.stdout.split(' ')[0] ?? '');
  };

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.41.1' });
    project = userProject('bind-address');
    const base = readFileSync(fleet.inventory, 'utf8');
    writeFileSync(ini('ssh2.ini'), base);
    writeFileSync(ini('openssh.ini'), base.replace('[defaults]\n', '[defaults]\ntransport = openssh\n'));
    writeFileSync(ini('bound.ini'), base.replace('[defaults]\n', `[defaults]\nbind_address = ${fromInventory}\n`));
    writeFileSync(
      ini('bound-openssh.ini'),
      base.replace('[defaults]\n', `[defaults]\ntransport = openssh\nbind_address = ${fromInventory}\n`),
    );
  });
  after(() => {
    // The persist process and the OpenSSH masters the --persist test kept: ours, by pid file and control socket.
    try {
      process.kill(Number(readFileSync(`${persistSocketPath(project)}.pid`, 'utf8')), 'SIGTERM');
    } catch {
      // not started, or gone
    }
    const kept = path.join(project ?? '', '.convoy', 'openssh');
    const names = existsSync(kept) ? readdirSync(kept).filter((f) => /^[0-9a-f]{12}$/.test(f)) : [];
    for (const name of names) {
      try {
        execFileSync('ssh', ['-S', path.join(kept, name), '-O', 'exit', 'x'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    fleet?.down();
  });

  for (const transport of ['ssh2', 'openssh']) {
    const suffix = transport === 'ssh2' ? '' : '-openssh';
    test(`${transport}: the flag, else bind_address; the flag wins over bind_address`, () => {
      assert.deepEqual(seen(`${transport}.ini`), ['127.0.0.1', '127.0.0.1'], 'the kernel picks 127.0.0.1 unbound');
      assert.deepEqual(seen(`${transport}.ini`, '--bind-address', fromA), [fromA, fromA]);
      assert.deepEqual(seen(`bound${suffix}.ini`), [fromInventory, fromInventory]);
      assert.deepEqual(seen(`bound${suffix}.ini`, '--bind-address', fromB), [fromB, fromB]);
    });

    test(`${transport} with --persist: a kept connection from another address is not reused`, () => {
      const persist = ['--persist', '2m'];
      assert.deepEqual(seen(`${transport}.ini`, ...persist, '--bind-address', fromA), [fromA, fromA]);
      assert.deepEqual(seen(`${transport}.ini`, ...persist, '--bind-address', fromB), [fromB, fromB]);
      assert.deepEqual(seen(`${transport}.ini`, ...persist, '--bind-address', fromA), [fromA, fromA]);
    });
  }

  test('a bind address that is not an IP address: exit 2, no host touched', () => {
    const r = run('ssh2.ini', '--bind-address', 'laptop', 'exec', 'all', '--', 'touch /tmp/touched');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /'--bind-address <addr>' argument 'laptop' is invalid\. 'laptop' is not an IP address/);
    writeFileSync(
      ini('bad.ini'),
      readFileSync(ini('ssh2.ini'), 'utf8') + '[group:bad]\nhosts = sandbox-1\nbind_address = 127.1\n',
    );
    const bad = run('bad.ini', 'exec', 'all', '--', 'touch /tmp/touched');
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stdout + bad.stderr, /bad\.ini:\d+: \[group:bad\] bind_address: '127\.1' is not an IP address/);
    const check = run('ssh2.ini', 'exec', 'all', '--', 'test -e /tmp/touched && echo touched || echo untouched');
    assert.deepEqual(
      jsonLines<{ stdout: string }>(check.stdout).results.map((x) => x.stdout.trim()),
      ['untouched', 'untouched'],
    );
  });
});
