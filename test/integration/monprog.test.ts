// The seed's scenario on 3 hosts: the Java daemon deployed as group mesprogrammes (monprog1 on 1234, monprog2 on
// 1235), stopped with SIGINT so its shutdown hook logs, started, restarted one host at a time; and a variant that
// ignores SIGINT is killed after stopwaitsecs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findProgram } from '../../src/sandbox/preflight.ts';
import { convoy, integrationSkipReason, openssh, repoRoot, startFleet } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason() ?? (findProgram('javac') || process.env.CI ? undefined : 'needs a JDK (javac)');

function answer(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    socket.on('data', (c) => {
      data += c.toString();
    });
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', reject);
  });
}

describe('the seed scenario: monprog on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let inventory: string;
  const run = (...args: string[]) =>
    convoy(['-i', inventory, ...args], { cwd: repoRoot, env: { HOME: path.dirname(inventory), SSH_AUTH_SOCK: '' } });
  const logTail = (address: string, program: string) =>
    openssh(fleet, address, `tail -n 2 /opt/monprog/shared/log/${program}.out.log`).stdout;

  before(() => {
    const build = spawnSync('bash', ['scripts/build-monprog.sh'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.10.1' });
    inventory = path.join(mkdtempSync(path.join(os.tmpdir(), 'convoy-monprog-')), 'fleet.ini');
    writeFileSync(
      inventory,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:m${i + 1}]\naddress = ${a}\n`).join('\n') +
        '\n[group:web]\nhosts = m[1:3]\n',
    );
  });
  after(() => fleet?.down());

  test('deploy, then status: 6 programs RUNNING, each answering on its port', async () => {
    const d = run('deploy', 'web', 'mesprogrammes');
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const s = run('status', 'web');
    assert.equal(s.code, 0, s.stdout);
    assert.match(s.stdout, /^6 programs on 3 hosts: 6 RUNNING$/m);
    for (const [i, a] of fleet.addresses.entries()) {
      assert.match(s.stdout, new RegExp(`^m${i + 1} +mesprogrammes:monprog1 +RUNNING`, 'm'));
      assert.equal(await answer(a, 1234), 'monprog on port 1234');
      assert.equal(await answer(a, 1235), 'monprog on port 1235');
    }
    const conf = openssh(fleet, fleet.addresses[0]!, 'cat /etc/supervisor/conf.d/mesprogrammes.conf').stdout;
    assert.match(conf, /^\[group:mesprogrammes\]\nprograms=monprog1,monprog2$/m);
    assert.match(
      conf,
      /^command=\/usr\/bin\/java -DrunDir=\/opt\/monprog -cp "lib\/\*" fr\.yax\.monprog\.Main --host 127\.0\.10\.1 --port 1234$/m,
    );
    assert.match(conf, /^stopsignal=INT$/m);
    assert.match(conf, /^priority=500$/m);
  });

  test('stop mesprogrammes:* sends SIGINT: the shutdown hook logs in every program, then start brings them back', () => {
    const stop = run('stop', 'web', 'mesprogrammes:*');
    assert.equal(stop.code, 0, stop.stdout);
    for (const a of fleet.addresses) {
      for (const program of ['monprog1', 'monprog2'])
        assert.match(logTail(a, program), /Shutting down has been requested\n$/);
    }
    assert.equal(run('status', 'web').code, 3);
    const start = run('start', 'web', 'mesprogrammes');
    assert.equal(start.code, 0, start.stdout);
    assert.match(run('status', 'web').stdout, /^6 programs on 3 hosts: 6 RUNNING$/m);
  });

  test('restart --rolling 1 goes host by host and ends with everything RUNNING', () => {
    const r = run('restart', 'web', 'mesprogrammes', '--rolling', '1');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^batch 3\/3: m3$/m);
    assert.match(run('status', 'web').stdout, /^6 programs on 3 hosts: 6 RUNNING$/m);
  });

  test('a variant that ignores SIGINT is killed by supervisord after stopwaitsecs', () => {
    const add = openssh(
      fleet,
      fleet.addresses[0]!,
      [
        'printf \'[program:stubborn]\\ndirectory=/opt/monprog/current\\ncommand=/usr/bin/java -DignoreSigint=true -cp "lib/*" fr.yax.monprog.Main --host 127.0.10.1 --port 1240\\nstopsignal=INT\\nstopwaitsecs=3\\nstartsecs=2\\nstdout_logfile=/var/log/supervisor/stubborn.log\\n\' > /etc/supervisor/conf.d/stubborn.conf',
        'supervisorctl update >/dev/null',
        'sleep 3',
        'supervisorctl status stubborn',
      ].join(' && '),
    );
    assert.match(add.stdout, /RUNNING/, add.stderr);
    const started = Date.now();
    const stop = run('stop', 'm1', 'stubborn');
    const took = Date.now() - started;
    assert.equal(stop.code, 0, stop.stdout);
    assert.ok(took >= 3000, `stopped after ${took} ms, before stopwaitsecs`);
    const log = openssh(
      fleet,
      fleet.addresses[0]!,
      'tail -n 3 /var/log/supervisor/stubborn.log; tail -n 5 /var/log/supervisor/supervisord.log',
    ).stdout;
    assert.match(log, /SIGINT ignored/);
    assert.match(log, /killing 'stubborn' \(\d+\) with SIGKILL|stopped: stubborn \(terminated by SIGKILL\)/);
  });
});
