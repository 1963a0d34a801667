// `convoy exec` against real sshd hosts: concurrency, unreachable hosts, auth, host keys, jump hosts, sudo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { generateEd25519 } from '../../src/ssh/keys.ts';
import { convoy, integrationSkipReason, spawnConvoy, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('convoy exec on 10 sandbox hosts', { skip }, () => {
  let fleet: TestFleet;
  let home: string;
  let work: string;
  before(() => {
    fleet = startFleet({ hosts: 10, firstAddress: '127.0.4.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-exec-'));
    home = path.join(work, 'home');
  });
  after(() => fleet?.down());

  /** Runs convoy with an isolated HOME (no ~/.ssh of the machine) and the given inventory text. */
  function exec(inventory: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    const file = path.join(work, `inv-${Math.random().toString(36).slice(2)}.ini`);
    writeFileSync(file, inventory);
    return convoy(['-i', file, ...args], { env: { HOME: home, SSH_AUTH_SOCK: '', ...env } });
  }
  const defaults = (knownHosts = fleet.knownHosts) =>
    `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${knownHosts}\n\n`;
  const hostSections = () => fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n');
  const allHosts = () => `${defaults()}${hostSections()}\n[group:web]\nhosts = h[1:10]\n`;

  test('runs on all 10 hosts at once: 10 distinct hostnames, lines prefixed by host, a summary, exit 0', () => {
    const r = exec(allHosts(), ['exec', 'web', '--', 'hostname']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const summary = lines.pop();
    assert.match(summary ?? '', /^10 hosts: 10 ok, 0 failed, 0 unreachable, 0 skipped \(\d+\.\ds\)$/);
    const pairs = lines.map((l) => l.split(/\s+\|\s+/));
    assert.equal(new Set(pairs.map(([, name]) => name)).size, 10);
    for (const [host, name] of pairs) assert.equal(name, `sandbox-${host?.slice(1)}`);
  });

  test('--json gives one result per host with code, signal, stdout, stderr and duration', () => {
    const r = exec(allHosts(), ['--json', 'exec', 'h1,h2,h3', '--', 'echo out; echo err >&2; exit 5']);
    assert.equal(r.code, 1);
    const doc = jsonLines<{
      host: string;
      code: number;
      signal: null;
      stdout: string;
      stderr: string;
      durationMs: number;
      status: string;
    }>(r.stdout);
    assert.deepEqual(
      doc.results.map((x) => [x.host, x.status, x.code, x.signal, x.stdout, x.stderr]),
      [
        ['h1', 'failed', 5, null, 'out\n', 'err\n'],
        ['h2', 'failed', 5, null, 'out\n', 'err\n'],
        ['h3', 'failed', 5, null, 'out\n', 'err\n'],
      ],
    );
    assert.ok(doc.results.every((x) => typeof x.durationMs === 'number'));
    assert.equal(doc.summary.failed, 3);
    assert.equal(doc.summary.command, 'exec');
    // The output also streams as records, line by line, as it arrives.
    const h1 = doc.records.filter((x) => x.type === 'output' && x.host === 'h1').map((x) => [x.stream, x.text]);
    assert.deepEqual(h1.sort(), [
      ['stderr', 'err'],
      ['stdout', 'out'],
    ]);
    assert.equal(doc.summary.exitCode, 1);
  });

  test('an unreachable host fails alone: the others succeed and the exit code is 4', () => {
    const inventory = `${allHosts()}\n[host:ghost]\naddress = 127.0.4.250\n\n[group:some]\nhosts = h1, ghost, h2\n`;
    const r = exec(inventory, ['exec', 'some', '--', 'hostname']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /^h1 +\| sandbox-1$/m);
    assert.match(r.stdout, /^h2 +\| sandbox-2$/m);
    assert.match(r.stdout, /^ghost ✗ unreachable: root@ghost \(127\.0\.4\.250\): connection refused/m);
    assert.match(r.stdout, /^3 hosts: 2 ok, 0 failed, 1 unreachable/m);
  });

  test('a failing command on one host and an unreachable one: exit 1', () => {
    const inventory = `${allHosts()}\n[host:ghost]\naddress = 127.0.4.250\n`;
    const r = exec(inventory, ['exec', 'h1,h2,ghost', '--', 'test "$(hostname)" = sandbox-1']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^h2 +✗ exit code 1$/m);
    assert.match(r.stdout, /^3 hosts: 1 ok, 1 failed, 1 unreachable/m);
  });

  test('a key the hosts do not accept fails with an authentication error', () => {
    const wrong = path.join(work, 'wrong_key');
    writeFileSync(wrong, generateEd25519().private, { mode: 0o600 });
    const r = exec(`${allHosts()}\n[host:stranger]\naddress = ${fleet.addresses[0]}\nidentity = ${wrong}\n`, [
      'exec',
      'stranger',
      '--',
      'true',
    ]);
    assert.equal(r.code, 4);
    assert.match(r.stdout, /stranger ✗ unreachable: root@stranger \(127\.0\.4\.1\): authentication failed/);
  });

  test('a host whose key changed is refused, loudly, and the others still run', () => {
    const known = readFileSync(fleet.knownHosts, 'utf8').split('\n');
    known[2] = `${fleet.addresses[2]} ${generateEd25519().public.split(' ').slice(0, 2).join(' ')}`;
    const tampered = path.join(work, 'known_hosts_changed');
    writeFileSync(tampered, known.join('\n'));
    const r = exec(allHosts(), [
      '--known-hosts',
      tampered,
      '--accept-new-host-keys',
      'exec',
      'h2,h3,h4',
      '--',
      'hostname',
    ]);
    assert.equal(r.code, 4);
    assert.match(
      r.stdout,
      /^h3 ✗ unreachable: root@h3 \(127\.0\.4\.3\): REFUSED: the host key has CHANGED\. Known: .*known_hosts_changed:3 /m,
    );
    assert.match(r.stdout, /^3 hosts: 2 ok, 0 failed, 1 unreachable/m);
    assert.equal(readFileSync(tampered, 'utf8'), known.join('\n'), 'a changed key must never be overwritten');
  });

  test('an unknown host is refused without --accept-new-host-keys, accepted and recorded with it', () => {
    const empty = path.join(work, 'known_hosts_empty');
    writeFileSync(empty, '');
    const refused = exec(allHosts(), ['--known-hosts', empty, 'exec', 'h5', '--', 'hostname']);
    assert.equal(refused.code, 4);
    assert.match(
      refused.stdout,
      /h5 ✗ unreachable: root@h5 \(127\.0\.4\.5\): REFUSED: unknown host key ssh-ed25519 SHA256:\S+ .*pass --accept-new-host-keys/,
    );
    assert.equal(readFileSync(empty, 'utf8'), '');
    const accepted = exec(allHosts(), [
      '--known-hosts',
      empty,
      '--accept-new-host-keys',
      'exec',
      'h5',
      '--',
      'hostname',
    ]);
    assert.equal(accepted.code, 0, accepted.stdout);
    const recorded = readFileSync(empty, 'utf8');
    const expected = readFileSync(fleet.knownHosts, 'utf8').split('\n')[4]?.split(' ').slice(0, 3).join(' ');
    assert.equal(recorded, `${expected}\n`);
    assert.equal(exec(allHosts(), ['--known-hosts', empty, 'exec', 'h5', '--', 'true']).code, 0);
  });

  test('a host reached only through another host as jump host', () => {
    // `hidden-target` resolves only on sandbox-1 (its own /etc/hosts): a direct connection cannot find it.
    const add = openssh(fleet, fleet.addresses[0]!, `echo '${fleet.addresses[1]} hidden-target' >> /etc/hosts`);
    assert.equal(add.code, 0, add.stderr);
    const hostKey = readFileSync(fleet.knownHosts, 'utf8').split('\n')[1]?.split(' ').slice(1).join(' ');
    const known = path.join(work, 'known_hosts_jump');
    writeFileSync(known, `${readFileSync(fleet.knownHosts, 'utf8')}hidden-target ${hostKey}\n`);
    const inventory = `${defaults(known)}${hostSections()}\n[host:hidden]\naddress = hidden-target\njump = h1\n\n[host:hidden-direct]\naddress = hidden-target\n`;
    const r = exec(inventory, ['exec', 'hidden', '--', 'hostname']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^hidden \| sandbox-2$/m);
    const direct = exec(inventory, ['exec', 'hidden-direct', '--', 'hostname']);
    assert.equal(direct.code, 4);
    assert.match(direct.stdout, /cannot resolve the address/);
  });

  test('--sudo runs as root for a non-root login', () => {
    const inventory = `${defaults()}${hostSections()}\n[group:web]\nhosts = h[1:3]\nuser = convoy\n`;
    const plain = exec(inventory, ['exec', 'web', '--', 'id -un']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((plain.stdout.match(/\| convoy$/gm) ?? []).length, 3);
    const sudo = exec(inventory, ['exec', 'web', '--sudo', '--', 'id -un; echo "$HOME"']);
    assert.equal(sudo.code, 0, sudo.stderr);
    assert.equal((sudo.stdout.match(/\| root$/gm) ?? []).length, 3);
  });

  test('keys held by ssh-agent (SSH_AUTH_SOCK) are used when the inventory names none', () => {
    const socket = path.join(work, 'agent.sock');
    const agent = spawnSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    assert.equal(agent.status, 0, agent.stderr);
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
    try {
      const added = spawnSync('ssh-add', [fleet.keyFile], {
        env: { ...process.env, SSH_AUTH_SOCK: socket },
        encoding: 'utf8',
      });
      assert.equal(added.status, 0, added.stderr);
      const inventory = `[defaults]\nuser = root\nknown_hosts = ${fleet.knownHosts}\n\n${hostSections()}`;
      const withAgent = exec(inventory, ['exec', 'h1', '--', 'hostname'], { SSH_AUTH_SOCK: socket });
      assert.equal(withAgent.code, 0, withAgent.stdout + withAgent.stderr);
      assert.match(withAgent.stdout, /^h1 \| sandbox-1$/m);
      const without = exec(inventory, ['exec', 'h1', '--', 'hostname']);
      assert.equal(without.code, 4);
      assert.match(without.stdout, /no key to offer/);
    } finally {
      process.kill(agentPid, 'SIGTERM');
    }
  });

  test('Ctrl-C twice: the first lets commands in flight finish, the second exits at once with 130 and says what may be left', async () => {
    const file = path.join(work, 'inv-interrupt.ini');
    writeFileSync(file, allHosts());
    const bg = spawnConvoy(['-i', file, 'exec', 'web', '--', 'echo started; sleep 30'], {
      env: { HOME: home, SSH_AUTH_SOCK: '' },
    });
    const { child } = bg;
    const exited = bg.closed.then((code) => ({ code, at: Date.now() }));
    while ((bg.stdout.match(/started/g) ?? []).length < 10) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(child.exitCode, null, 'the first Ctrl-C does not end the run while commands are in flight');
    assert.match(bg.stderr, /interrupted: commands already started on hosts run to their end/);
    const secondAt = Date.now();
    child.kill('SIGINT');
    const { code, at } = await exited;
    assert.equal(code, 130);
    assert.ok(at - secondAt < 3000, `exited ${at - secondAt} ms after the second Ctrl-C`);
    assert.match(
      bg.stderr,
      /interrupted again: exiting now\. Commands already started on hosts may still be running there/,
    );
  });

  test('a target that matches nothing is bad input (exit 2) and lists the groups', () => {
    const r = exec(allHosts(), ['exec', 'wbe', '--', 'true']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /wbe/);
    assert.match(r.stderr, /web/);
  });
});
