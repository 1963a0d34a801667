// The Supervisor control plane on real hosts: status (agreeing with supervisorctl), start/stop/restart, logs,
// the exec fallback where sshd refuses streamlocal, and setup (idempotent, from nothing on bare hosts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { persistSocketPath } from '../../src/host/fleet.ts';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { generateEd25519 } from '../../src/ssh/keys.ts';
import { spawn } from 'node:child_process';
import { convoy, convoyBin, integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

// A program that stops cleanly on SIGINT (like the seed's Java program with its shutdown hook).
const gracefulScript = `#!/bin/bash
trap 'echo "Shutting down has been requested"; exit 0' INT
echo "started $$"
while true; do sleep 0.1; done
`;
// A program that ignores SIGINT: supervisord must SIGKILL it after stopwaitsecs.
const stubbornScript = `#!/bin/bash
trap '' INT
echo "stubborn $$"
while true; do sleep 0.1; done
`;
const appConf = `[group:web]
programs=graceful,stubborn

[program:graceful]
command=/srv/graceful.sh
stopsignal=INT
startsecs=1
stdout_logfile=/var/log/supervisor/graceful.out.log
stderr_logfile=/var/log/supervisor/graceful.err.log

[program:stubborn]
command=/srv/stubborn.sh
stopsignal=INT
stopwaitsecs=2
startsecs=1
stdout_logfile=/var/log/supervisor/stubborn.out.log

[program:lone]
command=/bin/sleep 600
startsecs=1

[program:broken]
command=/bin/sh -c 'echo "cannot open /etc/broken.conf" >&2; exit 3'
autostart=false
startsecs=1
startretries=0
stderr_logfile=/var/log/supervisor/broken.err.log
`;

interface StatusRow {
  host: string;
  program: string;
  state: string;
  pid: number | null;
  info: string;
  transport?: string;
}

describe('status, start, stop, restart, logs on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  let restrictedKey: string;
  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.5.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-sup-'));
    const install =
      `cat > /srv/graceful.sh <<'X'\n${gracefulScript}X\ncat > /srv/stubborn.sh <<'X'\n${stubbornScript}X\nchmod +x /srv/*.sh\n` +
      `cat > /etc/supervisor/conf.d/app.conf <<'X'\n${appConf}X\nsupervisorctl update >/dev/null && sleep 1.5 && supervisorctl status`;
    for (const a of fleet.addresses) {
      const r = openssh(fleet, a, install);
      assert.match(r.stdout, /web:graceful\s+RUNNING/, r.stdout + r.stderr);
    }
    // A key that sshd lets log in but not forward (authorized_keys `restrict`): the client must fall back to exec.
    const key = generateEd25519('restricted');
    restrictedKey = path.join(work, 'restricted');
    writeFileSync(restrictedKey, key.private, { mode: 0o600 });
    assert.equal(
      openssh(fleet, fleet.addresses[2]!, `echo 'restrict ${key.public}' >> /root/.ssh/authorized_keys`).code,
      0,
    );
  });
  after(() => fleet?.down());

  function inventory(extra = ''): string {
    const file = path.join(work, `inv-${Math.random().toString(36).slice(2)}.ini`);
    writeFileSync(
      file,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:s${i + 1}]\naddress = ${a}\n`).join('\n') +
        `\n[group:app]\nhosts = s[1:3]\n${extra}`,
    );
    return file;
  }
  const run = (inv: string, ...args: string[]) =>
    convoy(['-i', inv, ...args], { env: { HOME: work, SSH_AUTH_SOCK: '' } });
  const statusRows = (inv: string, ...args: string[]) => {
    const r = run(inv, '--json', 'status', ...args);
    return { code: r.code, rows: jsonLines<StatusRow>(r.stdout).programs, stderr: r.stderr };
  };

  test('status agrees with supervisorctl status on every host, sorted by host then program', () => {
    const inv = inventory();
    const { code, rows } = statusRows(inv, 'app');
    assert.equal(code, 3, 'broken is STOPPED, so not everything runs');
    assert.deepEqual([...new Set(rows.map((r) => r.host))], ['s1', 's2', 's3']);
    for (const [i, address] of fleet.addresses.entries()) {
      const theirs = openssh(fleet, address, 'supervisorctl status')
        .stdout.trim()
        .split('\n')
        .map((line) => {
          const [name, state, ...rest] = line.split(/\s+/);
          const pid = /pid (\d+)/.exec(rest.join(' '))?.[1];
          return [name, state, pid === undefined ? null : Number(pid)];
        });
      const ours = rows.filter((r) => r.host === `s${i + 1}`).map((r) => [r.program, r.state, r.pid]);
      assert.deepEqual(ours, theirs);
    }
    const text = run(inv, 'status', 'app');
    assert.match(text.stdout, /^HOST +PROGRAM +STATE +PID +UPTIME +INFO$/m);
    assert.match(text.stdout, /^s1 +web:graceful +RUNNING +\d+ +0:00:\d\d/m);
    assert.match(text.stdout, /^12 programs on 3 hosts: 9 RUNNING, 3 STOPPED$/m);
  });

  test('the client talks XML-RPC through streamlocal, and falls back to exec where sshd refuses forwarding', () => {
    const inv = inventory(`\n[host:s3-restricted]\naddress = ${fleet.addresses[2]}\nidentity = ${restrictedKey}\n`);
    const { rows } = statusRows(inv, 's1,s3-restricted', 'lone');
    assert.deepEqual(
      rows.map((r) => [r.host, r.program, r.state, r.transport]),
      [
        ['s1', 'lone', 'RUNNING', 'streamlocal'],
        ['s3-restricted', 'lone', 'RUNNING', 'exec'],
      ],
    );
    assert.match(
      run(inv, 'status', 's1,s3-restricted', 'lone').stdout,
      /exec relay on s3-restricted \(sshd refuses streamlocal forwarding\)$/m,
    );
  });

  test('under --persist, the exec relay goes through the persist process: a second status logs in to no host', () => {
    const inv = inventory(`\n[host:s3-restricted]\naddress = ${fleet.addresses[2]}\nidentity = ${restrictedKey}\n`);
    const home = mkdtempSync(path.join(os.tmpdir(), 'convoy-sup-persist-'));
    const log = path.join(fleet.stateDir, 'hosts', '3', 'sshd.log');
    const logins = () => readFileSync(log, 'utf8').split('Accepted publickey').length - 1;
    const status = () =>
      convoy(['-i', inv, '--persist', '1m', '--json', 'status', 's3-restricted', 'lone'], {
        env: { HOME: home, SSH_AUTH_SOCK: '' },
      });
    try {
      assert.equal(status().code, 0);
      const warm = logins();
      const r = status();
      assert.equal(r.code, 0, r.stderr);
      const rows = jsonLines<StatusRow>(r.stdout).programs;
      assert.deepEqual(
        rows.map((row) => [row.host, row.state, row.transport]),
        [['s3-restricted', 'RUNNING', 'exec']],
      );
      assert.equal(logins(), warm, 'the relay opened a connection of its own');
    } finally {
      const pidFile = `${persistSocketPath(home)}.pid`;
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the non-root login drives supervisord through the socket group', () => {
    const { code, rows } = statusRows(inventory('user = convoy\n'), 'app', 'web:*');
    assert.equal(code, 0);
    assert.equal(rows.length, 6);
    assert.ok(rows.every((r) => r.state === 'RUNNING' && r.transport === 'streamlocal'));
  });

  test('an unreachable host is a row, not a stack trace; exit 4 when the rest runs', () => {
    const inv = inventory('\n[host:ghost]\naddress = 127.0.5.200\n');
    const { code, rows } = statusRows(inv, 's1,ghost', 'lone');
    assert.equal(code, 4);
    assert.deepEqual(
      rows.map((r) => [r.host, r.program, r.state]),
      [
        ['ghost', '-', 'UNREACHABLE'],
        ['s1', 'lone', 'RUNNING'],
      ],
    );
    assert.match(rows[0]!.info, /connection refused/);
  });

  test("stop sends the program's stopsignal (SIGINT): the graceful one logs its shutdown, the stubborn one is killed after stopwaitsecs", () => {
    const inv = inventory();
    const started = Date.now();
    const r = run(inv, 'stop', 's1', 'web:*');
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^s1 +web:graceful +stopped +STOPPED/m);
    assert.match(r.stdout, /^s1 +web:stubborn +stopped +STOPPED/m);
    assert.ok(took >= 2000, `stubborn must survive SIGINT until stopwaitsecs=2 (took ${took} ms)`);
    const log = openssh(fleet, fleet.addresses[0]!, 'tail -n 1 /var/log/supervisor/graceful.out.log').stdout;
    assert.equal(log, 'Shutting down has been requested\n');
    assert.match(openssh(fleet, fleet.addresses[0]!, 'supervisorctl status web:stubborn').stdout, /STOPPED/);
    assert.equal(statusRows(inv, 's1', 'web').code, 3);
  });

  test('start waits for RUNNING; starting what runs says so; restart gives new PIDs', () => {
    const inv = inventory();
    const start = run(inv, 'start', 's1', 'web');
    assert.equal(start.code, 0, start.stdout + start.stderr);
    assert.match(start.stdout, /^s1 +web:graceful +started +RUNNING +\d+/m);
    const again = run(inv, 'start', 's1', 'web:graceful');
    assert.match(again.stdout, /^s1 +web:graceful +already running +RUNNING/m);
    const before = statusRows(inv, 'app', 'lone').rows.map((r) => r.pid);
    const restart = run(inv, 'restart', 'app', 'lone');
    assert.equal(restart.code, 0, restart.stdout);
    const after = statusRows(inv, 'app', 'lone').rows.map((r) => r.pid);
    assert.equal(after.length, 3);
    after.forEach((pid, i) => assert.notEqual(pid, before[i]));
  });

  test('a program that fails to start is reported with the last lines of its log; other hosts are still reported', () => {
    const r = run(inventory(), 'start', 'app', 'broken');
    assert.equal(r.code, 1);
    assert.equal((r.stdout.match(/^s\d +broken +failed/gm) ?? []).length, 3);
    assert.match(r.stdout, /SPAWN_ERROR|ABNORMAL_TERMINATION|FATAL|BACKOFF/);
    assert.match(r.stdout, /stderr: cannot open \/etc\/broken\.conf/);
    assert.match(r.stdout, /^3 hosts: 0 ok, 3 failed, 0 unreachable/m);
  });

  test('an unknown program is a per-host error in the summary', () => {
    const r = run(inventory(), 'stop', 's2', 'nosuch');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^s2 +nosuch +no such program/m);
  });

  test("logs -n shows the last lines of each host's log, prefixed by host", () => {
    for (const a of fleet.addresses) openssh(fleet, a, 'supervisorctl restart web:graceful >/dev/null');
    const r = run(inventory(), 'logs', 'app', 'web:graceful', '-n', '1');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').sort();
    assert.equal(lines.length, 3);
    lines.forEach((line, i) => assert.match(line, new RegExp(`^s${i + 1} \\| started \\d+$`)));
  });
  test('logs that cannot be read says on which host and why, not only how many', () => {
    const r = run(inventory(), 'logs', 'app', 'nosuch', '-n', '1');
    assert.equal(r.code, 1);
    for (const host of ['s1', 's2', 's3']) assert.match(r.stderr, new RegExp(`^${host} ✗ .*no program 'nosuch'`, 'm'));
    assert.match(r.stderr, /^3 hosts: 0 ok, 3 failed, 0 unreachable, 0 skipped/m);
    const json = jsonLines<{ host: string; status: string; error: string }>(
      run(inventory(), '--json', 'logs', 'app', 'nosuch').stdout,
    );
    assert.deepEqual(
      json.results.map((x) => [x.host, x.status]),
      [
        ['s1', 'failed'],
        ['s2', 'failed'],
        ['s3', 'failed'],
      ],
    );
    assert.match(json.results[0]!.error, /no program 'nosuch'/);
  });
});

test('logs -f follows new lines until Ctrl-C, then exits 130', { skip }, async () => {
  const fleet = startFleet({ hosts: 1, firstAddress: '127.0.5.40' });
  try {
    const setup = openssh(
      fleet,
      fleet.addresses[0]!,
      'printf \'[program:ticker]\\ncommand=/bin/sh -c "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"\\nstdout_logfile=/var/log/supervisor/ticker.log\\n\' > /etc/supervisor/conf.d/t.conf && supervisorctl update',
    );
    assert.equal(setup.code, 0, setup.stderr);
    const child = spawn(
      process.execPath,
      [convoyBin, '-i', fleet.inventory, 'logs', 'all', 'ticker', '-n', '1', '-f'],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    // Until 5 lines came (a busy machine may take seconds to start and connect), not for a fixed time.
    const lines = () => stdout.split('\n').filter((l) => l.startsWith('sandbox-1 | tick')).length;
    for (let i = 0; i < 200 && lines() < 5; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130);
    const ticks = stdout
      .trim()
      .split('\n')
      .map((l) => Number(/^sandbox-1 \| tick (\d+)$/.exec(l)?.[1]));
    assert.ok(ticks.length >= 5, stdout);
    ticks.forEach((n, i) => assert.equal(n, ticks[0]! + i, `lines in order, none lost or repeated: ${stdout}`));
  } finally {
    fleet.down();
  }
});

describe('convoy setup', { skip }, () => {
  let bare: TestFleet;
  let ready: TestFleet;
  let work: string;
  before(() => {
    bare = startFleet({ hosts: 2, firstAddress: '127.0.5.20', bare: true });
    ready = startFleet({ hosts: 1, firstAddress: '127.0.5.30' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-setup-'));
  });
  after(() => {
    bare?.down();
    ready?.down();
  });

  function inventory(fleet: TestFleet, user: string): string {
    const file = path.join(work, `inv-${Math.random().toString(36).slice(2)}.ini`);
    writeFileSync(
      file,
      `[defaults]\nuser = ${user}\nsudo = true\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n'),
    );
    return file;
  }
  const run = (inv: string, ...args: string[]) =>
    convoy(['-i', inv, ...args], { env: { HOME: work, SSH_AUTH_SOCK: '' } });

  test('on bare hosts, setup as a non-root sudo login brings supervisord up from nothing; a second run changes nothing', () => {
    const inv = inventory(bare, 'convoy');
    const first = run(inv, 'setup', 'all');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    for (const change of [
      /wrote \/etc\/supervisor\/supervisord\.conf \(socket chmod=0770, chown=root:supervisor\)/,
      /created \/etc\/supervisor\/conf\.d/,
      /created group supervisor/,
      /added convoy to group supervisor/,
      /started supervisord \(\/etc\/init\.d\/supervisor\)/,
    ])
      assert.equal((first.stdout.match(new RegExp(change.source, 'g')) ?? []).length, 2, `${change}: ${first.stdout}`);
    assert.match(first.stdout, /supervisord 4\.\d+\.\d+ answers on \/var\/run\/supervisor\.sock \(streamlocal\)/);
    for (const a of bare.addresses) {
      const r = openssh(
        bare,
        a,
        'stat -c "%a %U:%G" /run/supervisor.sock; id -nG; supervisorctl status; echo rc=$?',
        'convoy',
      );
      assert.match(r.stdout, /^770 root:supervisor$/m);
      assert.match(r.stdout, /\bsupervisor\b/);
      assert.match(r.stdout, /rc=0/);
    }
    const second = run(inv, '--json', 'setup', 'all');
    assert.equal(second.code, 0, second.stderr);
    const doc = jsonLines<{ host: string; changes: string[]; result: string; transport: string }>(second.stdout);
    assert.deepEqual(
      doc.results.map((h) => [h.host, h.result, h.changes, h.transport]),
      [
        ['h1', 'unchanged', [], 'streamlocal'],
        ['h2', 'unchanged', [], 'streamlocal'],
      ],
    );
    assert.equal(doc.summary.command, 'setup');
    assert.match(run(inv, 'setup', 'all').stdout, /^h1 +unchanged/m);
  });

  test("on a running host with the distribution's root-only socket: edits the conf in place (backup), fixes the live socket, restarts nothing", () => {
    const host = ready.addresses[0]!;
    const prepare = openssh(
      ready,
      host,
      [
        "printf '[program:keep]\\ncommand=/bin/sleep 600\\n' > /etc/supervisor/conf.d/keep.conf && supervisorctl update >/dev/null",
        "sed -i -e 's/^chmod=0770$/chmod=0700                       ; sockef file mode (default 0700)/' -e '/^chown=root:supervisor$/d' /etc/supervisor/supervisord.conf",
        'chmod 0700 /run/supervisor.sock && chown root:root /run/supervisor.sock',
        'sleep 1.2; supervisorctl pid keep',
      ].join(' && '),
    );
    assert.equal(prepare.code, 0, prepare.stderr);
    const pidBefore = prepare.stdout.trim();
    const r = run(inventory(ready, 'root'), 'setup', 'all');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /set chmod=0770, chown=root:supervisor in \/etc\/supervisor\/supervisord\.conf \(backup \/etc\/supervisor\/supervisord\.conf\.convoy-backup-\d{8}T\d{6}\)/,
    );
    assert.match(
      r.stdout,
      /applied them to the live socket \/var\/run\/supervisor\.sock \(no restart: programs keep running\)/,
    );
    const check = openssh(
      ready,
      host,
      'supervisorctl pid keep; stat -c "%a %U:%G" /run/supervisor.sock; ls /etc/supervisor; grep -c "^chmod=0700 .*sockef" /etc/supervisor/supervisord.conf.convoy-backup-*',
    );
    const [pidAfter, socket, ,] = check.stdout.trim().split('\n');
    assert.equal(pidAfter, pidBefore, 'setup must not restart programs');
    assert.equal(socket, '770 root:supervisor');
    assert.match(check.stdout, /supervisord\.conf\.convoy-backup-/);
    assert.match(run(inventory(ready, 'convoy'), 'status', 'all').stdout, /^h1 +keep +RUNNING/m);
  });
});
