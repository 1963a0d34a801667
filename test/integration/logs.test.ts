// Logs with non-ASCII text on a real supervisord (issue 14): supervisord decodes the bytes of every log window
// strictly as UTF-8, so a window that starts or ends inside a character used to fail (HTTP 500). `convoy logs`
// (plain, -n, --json, -f) must show such logs exactly wherever its windows fall, and a program that fails with
// non-ASCII stderr must bring those lines into the start and deploy failure messages.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, spawnConvoy, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';
import { linesCutAt, textLines } from '../unit/support/utf8-text.ts';

const skip = integrationSkipReason();

// Window sizes Convoy asks for: the tail of `logs -n N` (max(4096, N*512) bytes) and a failure message's tail (2000).
const stdoutLines = linesCutAt('utf8', 700, [4096, 10240, 25600]);
const headLines = linesCutAt('head', 120, [4096]);
const dribbleLines = [...textLines('more', 40), 'END ✓ 終わり'];
const errLines = linesCutAt('err', 60, [2000]);
const grumpyLines = linesCutAt('grumpy', 60, [2000]);

const file = (lines: readonly string[]) => lines.join('\n') + '\n';

// Writes the head at once, then (once /srv/go exists) the rest 7 bytes at a time: the log often ends mid-character
// when `logs -f` looks at it, and supervisord logs each write as it comes.
const dribbleScript = `import os, time
os.write(1, open('/srv/head.txt', 'rb').read())
while not os.path.exists('/srv/go'):
    time.sleep(0.05)
rest = open('/srv/dribble.txt', 'rb').read()
for i in range(0, len(rest), 7):
    os.write(1, rest[i:i + 7])
    time.sleep(0.01)
time.sleep(3600)
`;

const conf = `[program:utf8]
command=/bin/sh -c 'cat /srv/utf8.txt; exec sleep 3600'
startsecs=1
stdout_logfile=/var/log/supervisor/utf8.out.log

[program:dribble]
command=/usr/bin/python3 /srv/dribble.py
startsecs=1
stdout_logfile=/var/log/supervisor/dribble.out.log

[program:broken]
command=/bin/sh -c 'cat /srv/broken-err.txt >&2; exit 3'
autostart=false
startsecs=1
startretries=0
stdout_logfile=/var/log/supervisor/broken.out.log
stderr_logfile=/var/log/supervisor/broken.err.log

[program:latin]
command=/bin/sh -c 'printf "caf\\351 cr\\350me br\\373l\\351e\\n" >&2; exit 3'
autostart=false
startsecs=1
startretries=0
stdout_logfile=/var/log/supervisor/latin.out.log
stderr_logfile=/var/log/supervisor/latin.err.log
`;

const grumpyTask = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'grumpy',
  root: '/srv/grumpy',
  artifact: 'build/grumpy',
  programs: { worker: { command: '/bin/sh fail.sh', startsecs: 1, startretries: 0 } },
});
`;

describe('logs with non-ASCII text, windows cutting characters (1 host)', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let srv: string;
  const run = (...args: string[]) =>
    convoy(['-i', fleet.inventory, ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const shown = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^sandbox-1 \| /, ''));

  before(() => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.21.1' });
    project = userProject('logs');
    srv = path.join(fleet.stateDir, 'hosts', '1', 'srv');
    writeFileSync(path.join(srv, 'utf8.txt'), file(stdoutLines));
    writeFileSync(path.join(srv, 'head.txt'), file(headLines));
    writeFileSync(path.join(srv, 'dribble.txt'), file(dribbleLines));
    writeFileSync(path.join(srv, 'dribble.py'), dribbleScript);
    writeFileSync(path.join(srv, 'broken-err.txt'), file(errLines));
    const confFile = path.join(fleet.stateDir, 'hosts', '1', 'etc-supervisor', 'conf.d', 'logs.conf');
    writeFileSync(confFile, conf);
    const up = openssh(
      fleet,
      fleet.addresses[0]!,
      'supervisorctl update >/dev/null && sleep 1.5 && supervisorctl status',
    );
    assert.match(up.stdout, /utf8\s+RUNNING/, up.stdout + up.stderr);
    assert.match(up.stdout, /dribble\s+RUNNING/, up.stdout + up.stderr);
  });
  after(() => {
    fleet?.down();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('logs, logs -n and logs --json show the last lines exactly where every window starts mid-character', () => {
    const plain = run('logs', 'all', 'utf8');
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.deepEqual(shown(plain.stdout), stdoutLines.slice(-20));
    const three = run('logs', 'all', 'utf8', '-n', '3');
    assert.equal(three.code, 0, three.stdout + three.stderr);
    assert.deepEqual(shown(three.stdout), stdoutLines.slice(-3));
    const json = run('--json', 'logs', 'all', 'utf8', '-n', '50');
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const records = jsonLines(json.stdout).records.filter((r) => r.type === 'line');
    assert.deepEqual(
      records.map((r) => r.text),
      stdoutLines.slice(-50),
    );
  });

  test('logs -f shows every line once and exactly while the log grows 7 bytes at a time, cutting characters', async () => {
    const bg = spawnConvoy(['-i', fleet.inventory, 'logs', 'all', 'dribble', '-n', '5', '-f'], {
      env: { HOME: project, SSH_AUTH_SOCK: '' },
    });
    const { child, closed } = bg;
    const until = async (done: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !done() && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
    };
    try {
      await until(() => shown(bg.stdout).length >= 5 || child.exitCode !== null, 15_000);
      assert.deepEqual(shown(bg.stdout), headLines.slice(-5), bg.stderr);
      writeFileSync(path.join(srv, 'go'), '');
      await until(() => bg.stdout.includes('END ✓ 終わり') || child.exitCode !== null, 20_000);
      await new Promise((r) => setTimeout(r, 1200)); // a few more polls: nothing may come twice
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await closed, 130, bg.stderr);
    assert.deepEqual(shown(bg.stdout), [...headLines.slice(-5), ...dribbleLines], bg.stderr);
  });

  test('a program that fails to start shows its last non-ASCII stderr lines; an unreadable log says so', () => {
    const r = run('start', 'all', 'broken');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const expected = errLines.slice(-8).map((l) => `  stderr: ${l}`);
    assert.ok(r.stdout.includes(['sandbox-1 broken, last log lines:', ...expected].join('\n')), r.stdout);
    const latin = run('start', 'all', 'latin');
    assert.equal(latin.code, 1, latin.stdout + latin.stderr);
    assert.match(latin.stdout, /^ {2}\(its stderr could not be read: .*UTF-8/m);
    const logs = run('logs', 'all', 'latin', '--stderr');
    assert.equal(logs.code, 1, logs.stdout + logs.stderr);
    assert.match(logs.stderr, /^sandbox-1 ✗ .*UTF-8/m);
  });

  test('a deploy whose program goes FATAL says why with its last non-ASCII stderr lines', () => {
    mkdirSync(path.join(project, 'build', 'grumpy'), { recursive: true });
    writeFileSync(path.join(project, 'tasks', 'grumpy.ts'), grumpyTask);
    writeFileSync(path.join(project, 'build', 'grumpy', 'err.txt'), file(grumpyLines));
    writeFileSync(path.join(project, 'build', 'grumpy', 'fail.sh'), 'cat err.txt >&2\nexit 3\n');
    const r = run('--json', 'deploy', 'all', 'grumpy');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [result] = jsonLines<{ error?: string }>(r.stdout).results;
    assert.ok(
      result?.error?.includes(`FATAL`) &&
        result.error.includes(`stderr of grumpy:worker: ${grumpyLines.slice(-3).join(' / ')}`),
      result?.error,
    );
  });
});
