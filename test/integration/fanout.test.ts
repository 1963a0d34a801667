// Fan-out uploads on real hosts (docs/deploy.md, "Fan-out"): with --fanout 2 this machine uploads to 2 hosts and the
// others get the artifact from a host that verified it; every host verifies it and stages; no key, line or file is
// left on any host. A host whose relay fails gets it from this machine; a run SIGKILLed mid-relay leaves keys that
// the next deploy sweeps.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, spawnConvoy, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'fan',
  root: '/srv/fan',
  artifact: 'build/fan.bin',
  programs: { fan: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

interface Step {
  type: string;
  host: string;
  step: string;
  detail?: string;
}

/** What a host holds of fan-out: marked authorized_keys lines, key directories, temporary files. */
const leftovers =
  'grep -c convoy-fanout ~/.ssh/authorized_keys 2>/dev/null; ls -a ~ ~/.ssh | grep -c "convoy-fanout\\|authorized_keys\\..*tmp"; true';

/**
 * SIGSTOPs (or SIGCONTs) every process of one sandbox host: those in the PID namespace of its recorded PID 1 (which
 * this test's fleet started), so that the host stops answering mid-step as a frozen machine would.
 */
function signalHost(stateDir: string, index: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {
    hosts: { init: { pid: number } | null }[];
  };
  const init = state.hosts[index]?.init?.pid;
  if (!init) throw new Error(`no recorded PID 1 for host ${index}`);
  const ns = readlinkSync(`/proc/${init}/ns/pid`);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ns) process.kill(Number(entry), signal);
    } catch {
      // The process ended meanwhile.
    }
  }
}

describe('fan-out uploads: hosts pass the artifact on to each other', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const run = (args: string[]): CliResult =>
    convoy(['-i', 'fleet.ini', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const artifact = (mb: number) => writeFileSync(path.join(project, 'build', 'fan.bin'), randomBytes(mb * 1024 * 1024));
  const uploads = (stdout: string) =>
    (jsonLines(stdout).records as unknown as Step[]).filter((r) => r.type === 'step' && r.step === 'fan: upload');
  const assertNothingLeft = () => {
    for (const a of fleet.addresses) {
      const said = openssh(fleet, a, leftovers).stdout.trim().split('\n');
      assert.deepEqual(said, ['0', '0'], `fan-out leftovers on ${a}`);
    }
  };

  before(() => {
    fleet = startFleet({ hosts: 8, firstAddress: '127.0.42.1' });
    project = userProject('fanout');
    writeFileSync(path.join(project, 'tasks', 'fan.ts'), task);
    mkdirSync(path.join(project, 'build'), { recursive: true });
    const ini =
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n');
    writeFileSync(path.join(project, 'fleet.ini'), ini);
  });
  after(() => fleet?.down());

  test('--fanout 2: two uploads from here, six from other hosts, every host verified and deployed, no key left', () => {
    artifact(8);
    const r = run(['--json', 'deploy', 'all', 'fan', '--fanout', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ups = uploads(r.stdout);
    assert.equal(ups.length, 8, JSON.stringify(ups));
    const relayed = ups.filter((u) => / from h\d$/.test(u.detail ?? ''));
    assert.equal(ups.length - relayed.length, 2, JSON.stringify(ups));
    assert.equal(relayed.length, 6);
    const results = jsonLines<{ host: string; result: string }>(r.stdout).results;
    assert.deepEqual(
      results.map((x) => x.result),
      Array(8).fill('deployed'),
    );
    assert.match(r.stdout, /this machine sent 2 copies, 6 host\(s\) got theirs from another host/);
    assertNothingLeft();
  });

  test('a receiver that refuses the relay (its sshd reads no authorized_keys) gets the artifact from here', () => {
    // h8's sshd reads no authorized_keys for logins from the other hosts' addresses (relays bind their own); this
    // machine connects from 127.0.0.1 and still gets in. sshd is PID 1 of the host: HUP re-reads its config.
    const sshd = '/run/convoy-sandbox/sshd_config';
    const conf = `printf 'Match Address 127.0.42.0/24\\n  AuthorizedKeysFile none\\n' >> ${sshd} && kill -HUP 1`;
    const r0 = openssh(fleet, fleet.addresses[7]!, conf);
    assert.equal(r0.code, 0, r0.stderr);
    try {
      artifact(4);
      const r = run(['--json', 'deploy', 'all', 'fan', '--fanout', '1']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const h8 = uploads(r.stdout).filter((u) => u.host === 'h8');
      const last = h8.at(-1)?.detail ?? '';
      if (h8.length > 1) assert.match(h8[1]!.detail ?? '', /relay from h\d failed .*: from this machine/);
      assert.doesNotMatch(last, / from h\d$/, JSON.stringify(h8));
      const results = jsonLines<{ host: string; result: string }>(r.stdout).results;
      assert.ok(
        results.every((x) => x.result === 'deployed'),
        JSON.stringify(results),
      );
      assertNothingLeft();
    } finally {
      openssh(fleet, fleet.addresses[7]!, `sed -i '/^Match Address/,$d' ${sshd} && kill -HUP 1`);
    }
  });

  test('a sender frozen mid-relay: its receiver gets the artifact from here, the other hosts deploy', async () => {
    artifact(32);
    const args = ['-i', 'fleet.ini', '--timeout', '3s', 'deploy', 'all', 'fan', '--fanout', '1', '--max-fail', '1'];
    const child = spawnConvoy(args, { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
    const relay = /\[(h\d)\] fan: upload .* from (h\d)\n/;
    const deadline = Date.now() + 120_000;
    while (!relay.test(child.stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const [, receiver, sender] = relay.exec(child.stdout) ?? [];
    assert.ok(receiver && sender, `no relay started: ${child.stdout}${child.stderr}`);
    const index = Number(sender.slice(1)) - 1;
    signalHost(fleet.stateDir, index, 'SIGSTOP');
    try {
      await child.closed;
    } finally {
      signalHost(fleet.stateDir, index, 'SIGCONT');
    }
    const out = child.stdout;
    assert.match(
      out,
      new RegExp(`\\[${receiver}\\] fan: upload the relay from ${sender} failed .*: from this machine`),
      out,
    );
    for (let i = 1; i <= 8; i++) {
      if (`h${i}` !== sender) assert.match(out, new RegExp(`^h${i} +.*deployed`, 'm'), `h${i}: ${out}`);
    }
    // The frozen sender kept its key (cleanup could not reach it): the next fan-out deploy sweeps it.
    const again = run(['deploy', 'all', 'fan', '--fanout', '1']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assertNothingLeft();
  });

  test('SIGKILLed mid-relay: keys are left, the next fan-out deploy sweeps them and completes', async () => {
    artifact(32);
    const child = spawnConvoy(['-i', 'fleet.ini', 'deploy', 'all', 'fan', '--fanout', '2'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    });
    const deadline = Date.now() + 60_000;
    while (!/fan: upload .* from h\d/.test(child.stdout) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match(child.stdout, /from h\d/, `no relay started: ${child.stdout}${child.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
    child.child.kill('SIGKILL');
    await child.closed;
    const marked = fleet.addresses.map((a) => openssh(fleet, a, leftovers).stdout.trim());
    assert.ok(
      marked.some((m) => m !== '0\n0'),
      `the killed run left nothing to sweep: ${marked.join(' ')}`,
    );
    const r = run(['--json', 'deploy', 'all', 'fan', '--fanout', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const swept = (jsonLines(r.stdout).records as unknown as Step[]).filter((s) => s.step === 'fan: fanout sweep');
    assert.ok(swept.length > 0, 'no sweep reported');
    assertNothingLeft();
  });
});
