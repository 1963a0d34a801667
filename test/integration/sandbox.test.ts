// The sandbox fleet for real: isolation between hosts, the non-root login, bare hosts, clean teardown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { convoy, integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';
import { listProcesses, pidNamespaceOf, testRunStartTicks } from './support/procs.ts';

const skip = integrationSkipReason();

describe('sandbox up: 5 isolated hosts', { skip }, () => {
  let fleet: TestFleet;
  let state: SandboxState;
  before(() => {
    fleet = startFleet({ hosts: 5, firstAddress: '127.0.3.1' });
    state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
  });
  after(() => fleet?.down());

  test('plain OpenSSH logs in to every host with the written key and known_hosts; each has its own hostname', () => {
    const names = fleet.addresses.map((address) => {
      const r = openssh(fleet, address, 'hostname');
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    });
    assert.deepEqual(names, ['sandbox-1', 'sandbox-2', 'sandbox-3', 'sandbox-4', 'sandbox-5']);
  });

  test('the written inventory names every host with its address, the key and known_hosts', () => {
    const text = readFileSync(fleet.inventory, 'utf8');
    for (const [i, address] of fleet.addresses.entries())
      assert.match(text, new RegExp(`\\[host:sandbox-${i + 1}\\]\\naddress = ${address.replaceAll('.', '\\.')}\\n`));
    assert.match(text, /^hosts = sandbox-\[1:5\]$/m);
    assert.ok(text.includes(`identity = ${fleet.keyFile}`));
    assert.ok(text.includes(`known_hosts = ${fleet.knownHosts}`));
  });

  test('a file written to /srv on host 1 is absent on host 2 (and on the machine)', () => {
    assert.equal(openssh(fleet, fleet.addresses[0]!, 'echo one > /srv/marker && cat /srv/marker').stdout, 'one\n');
    const other = openssh(fleet, fleet.addresses[1]!, 'test -e /srv/marker; echo $?');
    assert.equal(other.stdout.trim(), '1');
    assert.equal(existsSync('/srv/marker'), false);
  });

  test('each host runs its own supervisord: a program added on host 1 is seen only there', () => {
    const add = openssh(
      fleet,
      fleet.addresses[0]!,
      'printf "[program:only1]\\ncommand=sleep 600\\nstartsecs=0\\n" > /etc/supervisor/conf.d/only1.conf && supervisorctl update && sleep 0.3 && supervisorctl status',
    );
    assert.equal(add.code, 0, add.stderr + add.stdout);
    assert.match(add.stdout, /^only1\s+RUNNING/m);
    const other = openssh(fleet, fleet.addresses[1]!, 'supervisorctl status only1');
    assert.match(other.stdout, /no such process/);
    assert.equal(existsSync('/etc/supervisor/conf.d/only1.conf'), false);
  });

  test("the supervisord processes are distinct, one inside each host's PID namespace", () => {
    const procs = listProcesses();
    const perHost = state.hosts.map((h) => {
      const ns = pidNamespaceOf(h.init!.pid);
      const own = procs.filter((p) => p.pidNamespace === ns && /\bsupervisord\b/.test(p.cmdline));
      assert.equal(own.length, 1, `${h.name}: ${JSON.stringify(own)}`);
      return own[0]!.pid;
    });
    assert.equal(new Set(perHost).size, 5);
    const inHost = fleet.addresses.map((a) => openssh(fleet, a, 'supervisorctl pid').stdout.trim());
    assert.ok(
      inHost.every((pid) => /^\d+$/.test(pid)),
      inHost.join(','),
    );
  });

  test('the non-root login `convoy` drives supervisord through the socket group, without sudo', () => {
    const r = openssh(
      fleet,
      fleet.addresses[2]!,
      'id -nG; stat -c "%a %U:%G" /run/supervisor.sock; supervisorctl status; echo "rc=$?"',
      'convoy',
    );
    assert.equal(r.code, 0, r.stderr);
    const [groups, socket] = r.stdout.split('\n');
    assert.ok(groups?.split(' ').includes('supervisor'), groups);
    assert.equal(socket, '770 root:supervisor');
    assert.match(r.stdout, /rc=0$/m);
  });

  test('`sandbox status` sees every host up', () => {
    const r = convoy(['sandbox', 'status', '--state-dir', fleet.stateDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = jsonLines<{ running: boolean; sshd: boolean; supervisord: string }>(r.stdout);
    assert.equal(status.results.length, 5);
    assert.ok(status.results.every((h) => h.running && h.sshd && h.supervisord === 'running'));
    assert.deepEqual([status.summary.command, status.summary.up], ['sandbox status', true]);
  });

  test('`up` while up says so, exits 2 and leaves the fleet running', () => {
    const r = convoy(['sandbox', 'up', '--hosts', '5', '--first-address', '127.0.3.1', '--state-dir', fleet.stateDir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a sandbox of 5 hosts is already up in .* \(5 running\)/);
    assert.equal(openssh(fleet, fleet.addresses[4]!, 'hostname').stdout.trim(), 'sandbox-5');
  });

  test('`down` stops every process it started and nothing else, and removes its state', async () => {
    const namespaces = new Set(state.hosts.map((h) => pidNamespaceOf(h.init!.pid)));
    // Decoys named as the fleet's own programs, outside it: a `down` that killed by name would end them. The
    // machine's daemons (parent PID 1) must survive too; other short-lived processes come and go on their own.
    const decoys = ['sshd', 'supervisord'].map((name) =>
      spawn('/bin/bash', ['-c', `exec -a ${name} /bin/sleep 600`], { stdio: 'ignore', detached: true }),
    );
    try {
      await new Promise((r) => setTimeout(r, 200));
      const ourUnshares = new Set(state.hosts.map((h) => h.unshare.pid));
      // Only daemons older than the test run: another test file runs beside this one and starts and ends its own.
      const runStarted = testRunStartTicks();
      const daemons = listProcesses()
        .filter((p) => p.ppid === 1 && p.startTicks < runStarted && !namespaces.has(p.pidNamespace))
        .filter((p) => !ourUnshares.has(p.pid))
        .map((p) => p.pid);
      const r = fleet.down();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /5 hosts stopped/);
      const left = listProcesses().filter((p) => namespaces.has(p.pidNamespace) || p.cmdline.includes(fleet.stateDir));
      assert.deepEqual(left, []);
      const alive = new Set(listProcesses().map((p) => p.pid));
      assert.deepEqual(
        decoys.filter((d) => !alive.has(d.pid!)).map((d) => d.spawnargs.join(' ')),
        [],
        "down ended a process named like the fleet's that it did not start",
      );
      assert.deepEqual(
        daemons.filter((pid) => !alive.has(pid)),
        [],
        'down ended a daemon of the machine',
      );
    } finally {
      for (const d of decoys) d.kill('SIGKILL');
    }
    assert.equal(existsSync(fleet.stateDir), false);
  });
});

describe('sandbox up --bare', { skip }, () => {
  let fleet: TestFleet;
  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.3.20', port: 2200, bare: true });
  });
  after(() => fleet?.down());

  test('hosts have sshd on the chosen port but no supervisord and no supervisord.conf', () => {
    for (const address of fleet.addresses) {
      const r = openssh(
        fleet,
        address,
        'test -e /etc/supervisor/supervisord.conf; echo conf=$?; pgrep -c supervisord; echo; test -S /run/supervisor.sock; echo sock=$?',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /conf=1/);
      assert.match(r.stdout, /^0$/m);
      assert.match(r.stdout, /sock=1/);
    }
  });

  test('the convoy login exists but is not yet in a supervisor group (setup will do that)', () => {
    const r = openssh(fleet, fleet.addresses[0]!, 'id -nG', 'convoy');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'convoy');
  });
});

describe('sandbox up refuses what it cannot do, starting nothing', { skip }, () => {
  test('an address in use: exit 2, names the address and the fix, no state left', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(2201, '127.0.3.41', resolve));
    try {
      const stateDir = path.join('/tmp', `convoy-it-busy-${process.pid}`);
      const r = convoy([
        'sandbox',
        'up',
        '--hosts',
        '2',
        '--first-address',
        '127.0.3.40',
        '--port',
        '2201',
        '--state-dir',
        stateDir,
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /address already in use: 127\.0\.3\.41:2201\./);
      assert.match(r.stderr, /--port 2222/);
      assert.equal(existsSync(stateDir), false);
      assert.ok(!listProcesses().some((p) => p.cmdline.includes(stateDir)));
    } finally {
      blocker.close();
    }
  });

  test('down with nothing up is a no-op that says so', () => {
    const r = convoy(['sandbox', 'down', '--state-dir', '/tmp/convoy-it-nothing-here']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /nothing to stop/);
  });
});
