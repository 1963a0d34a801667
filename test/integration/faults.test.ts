// Fault matrix (part): supervisord stopped, the socket closed to the login, a program that flaps. Each case checks
// the exit code, the message, and that the other hosts are reported (and untouched).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

describe('faults on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let work: string;
  const inventory = (user = 'root') => {
    const file = path.join(work, `inv-${user}.ini`);
    writeFileSync(
      file,
      `[defaults]\nuser = ${user}\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:f${i + 1}]\naddress = ${a}\n`).join('\n'),
    );
    return file;
  };
  const run = (inv: string, ...args: string[]) =>
    convoy(['-i', inv, ...args], { env: { HOME: work, SSH_AUTH_SOCK: '' } });

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.11.1' });
    work = mkdtempSync(path.join(os.tmpdir(), 'convoy-faults-'));
    for (const a of fleet.addresses) {
      const r = openssh(
        fleet,
        a,
        'printf \'[program:steady]\\ncommand=/bin/sleep 3600\\n\\n[program:flappy]\\ncommand=/bin/sh -c "sleep 1.3; exit 1"\\nstartsecs=1\\nautostart=false\\n\' > /etc/supervisor/conf.d/f.conf && supervisorctl update >/dev/null && sleep 1.5',
      );
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => fleet?.down());

  test('supervisord stopped on one host: that host is a row saying to run setup, the others are reported; exit 1', () => {
    assert.equal(
      openssh(
        fleet,
        fleet.addresses[0]!,
        'kill $(cat /run/supervisord.pid) && for i in $(seq 50); do [ -S /run/supervisor.sock ] || break; sleep 0.1; done',
      ).code,
      0,
    );
    const r = run(inventory(), 'status', 'all');
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /^f1 +- +ERROR .*f1: supervisord is not running \(nothing listens on \/var\/run\/supervisor\.sock\): run `convoy setup f1`/m,
    );
    assert.match(r.stdout, /^f2 +steady +RUNNING/m);
    assert.match(r.stdout, /^f3 +steady +RUNNING/m);
    const setup = run(inventory(), 'setup', 'f1');
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    assert.match(setup.stdout, /started supervisord/);
    // supervisord's autostart is under way: start waits for it to be past startsecs instead of failing.
    const start = run(inventory(), 'start', 'f1', 'steady');
    assert.equal(start.code, 0, start.stdout);
    assert.match(start.stdout, /^f1 +steady +already running +RUNNING/m);
  });

  test('the login may not use the socket: the message says why and what to do; exit 1', () => {
    assert.equal(openssh(fleet, fleet.addresses[1]!, 'chmod 0700 /run/supervisor.sock').code, 0);
    try {
      const r = run(inventory('convoy'), 'status', 'f1,f2');
      assert.equal(r.code, 1, r.stdout);
      assert.match(
        r.stdout,
        /^f2 +- +ERROR .*the login may not use supervisord's socket \/var\/run\/supervisor\.sock \(permission denied\): run `convoy setup f2`/m,
      );
      assert.match(r.stdout, /^f1 +steady +RUNNING/m);
    } finally {
      openssh(fleet, fleet.addresses[1]!, 'chmod 0770 /run/supervisor.sock');
    }
  });

  test('a program that flaps (dies right after startsecs) is not reported as started; exit 1', () => {
    const r = run(inventory(), 'start', 'f3', 'flappy');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^f3 +flappy +failed .*(not stable|EXITED|BACKOFF|STARTING)/m);
    openssh(fleet, fleet.addresses[2]!, 'supervisorctl stop flappy');
  });

  test('a supervisord on a socket of its own: status reads the host conf when the usual socket is not there; exit 0', () => {
    const moved = openssh(
      fleet,
      fleet.addresses[2]!,
      'kill $(cat /run/supervisord.pid) && for i in $(seq 50); do [ -S /run/supervisor.sock ] || break; sleep 0.1; done; ' +
        "sed -i 's#/var/run/supervisor.sock#/run/convoy-own.sock#' /etc/supervisor/supervisord.conf && grep -c convoy-own.sock /etc/supervisor/supervisord.conf",
    );
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(moved.stdout.trim(), '2'); // [unix_http_server] file= and [supervisorctl] serverurl=
    assert.equal(run(inventory(), 'setup', 'f3').code, 0);
    assert.equal(run(inventory('convoy'), 'start', 'f3', 'steady').code, 0); // waits out the autostart
    const r = run(inventory('convoy'), 'status', 'f3', 'steady', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rows = jsonLines<{ program: string; state: string; transport: string }>(r.stdout).programs;
    assert.deepEqual(
      rows.map((row) => [row.state, row.transport]),
      [['RUNNING', 'streamlocal']],
    );
    assert.equal(
      openssh(fleet, fleet.addresses[2]!, 'test -S /run/convoy-own.sock && ! test -e /run/supervisor.sock').code,
      0,
    );
  });
});
