// sudo that asks for a password, and sudoers' `requiretty` (issue 15): the password goes only to a prompt Convoy set,
// once per host; a host that wants a terminal gets one (its script put there apart); hosts whose sudo asks nothing
// never see the password. Hosts: 1 password (bash), 2 password + requiretty (fish), 3 requiretty without a password,
// 4 NOPASSWD (tcsh), all logging in as `convoy` with `sudo = true`; every supervisord.conf is 0600 and every socket
// asks for a username and password (sandbox --private-conf --socket-auth).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convoy, integrationSkipReason, openssh, spawnConvoy, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';
import { convoyOnTerminal } from './support/pty.ts';

const skip = integrationSkipReason();

const task = (version: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'sudoed',
  root: '/srv/sudoed',
  artifact: 'build/v${version}',
  programs: { sudoed: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

describe('sudo with a password and requiretty on 4 sandbox hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;
  let passFile: string;
  let password: string;

  const run = (...args: string[]): CliResult =>
    convoy(['-i', inventory, ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' } });
  const withPassword = (...args: string[]) => run('--sudo-pass-file', passFile, ...args);
  const version = (v: string) => {
    mkdirSync(path.join(project, 'build', `v${v}`), { recursive: true });
    writeFileSync(path.join(project, 'build', `v${v}`, 'VERSION'), `${v}\n`);
    writeFileSync(path.join(project, 'tasks', 'sudoed.ts'), task(v));
  };
  const address = (n: number) => fleet.addresses[n - 1] ?? '';
  // sudo logs "N incorrect password attempts" once per invocation that was given wrong passwords: the sum is the
  // number of wrong passwords the account was tried with.
  const incorrectAttempts = (n: number) =>
    [
      ...openssh(fleet, address(n), 'cat /run/sudo.log 2>/dev/null').stdout.matchAll(
        /(\d+) incorrect password attempts?/g,
      ),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);

  before(() => {
    fleet = startFleet({
      hosts: 4,
      firstAddress: '127.0.29.1',
      sudo: 'password,password-tty,nopasswd-tty,nopasswd',
      shells: 'bash,fish,bash,tcsh',
      // Root's alone, and behind a socket password: Convoy reads the conf as root (a step of its own where sudo
      // cannot be called from a login script) and authenticates with the conf's credentials.
      privateConf: true,
      socketAuth: true,
    });
    project = userProject('sudo');
    passFile = path.join(path.dirname(fleet.inventory), 'sudo-password');
    password = readFileSync(passFile, 'utf8').trim();
    // Host 4's sudo asks nothing; it logs in as convoy too, to show that the password then goes nowhere.
    const conf = '/etc/supervisor/supervisord.conf';
    const said = openssh(fleet, address(1), `stat -c %a ${conf}; grep -c '^password=' ${conf}`).stdout;
    assert.equal(said, '600\n2\n', 'the sandbox made the conf 0600 and put a password on the socket');
    inventory = path.join(project, 'fleet.ini');
    const text = readFileSync(fleet.inventory, 'utf8');
    writeFileSync(inventory, text.replace(/(\[host:sandbox-4\]\naddress = .*\n)/, '$1user = convoy\nsudo = true\n'));
  });
  after(() => {
    fleet?.down();
  });

  test('without a password, the hosts whose sudo asks for one fail naming the flags; nothing is switched', () => {
    version('1');
    const r = run('deploy', 'all', 'sudoed');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    for (const host of ['sandbox-1', 'sandbox-2'])
      assert.match(r.stdout, new RegExp(`${host}: sudo asks convoy for a password: give it with --ask-sudo-pass`));
    for (const host of ['sandbox-3', 'sandbox-4']) assert.match(r.stdout, new RegExp(`${host} +sudoed +- +skipped`));
  });

  test('a --sudo-pass-file that others may read is refused before any host is touched', () => {
    const loose = path.join(project, 'loose-password');
    writeFileSync(loose, `${password}\n`, { mode: 0o644 });
    chmodSync(loose, 0o644);
    const r = run('--sudo-pass-file', loose, 'exec', 'all', '--sudo', '--', 'true');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /--sudo-pass-file .*loose-password: mode 0644 lets others read it; expected 0600 or stricter/,
    );
  });

  test('with --sudo-pass-file: setup, deploy, status, rolling restart and rollback on every host; the password in no argv or output', async () => {
    assert.equal(withPassword('setup', 'all').code, 0);
    const first = withPassword('deploy', 'all', 'sudoed');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    version('2');
    const deploying = spawnConvoy(['-i', inventory, '--sudo-pass-file', passFile, 'deploy', 'all', 'sudoed'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
    let finished = false;
    void deploying.closed.then(() => (finished = true));
    const argvs: string[] = [];
    while (!finished) {
      for (let n = 1; n <= 4; n++) argvs.push(openssh(fleet, address(n), 'ps -eo args').stdout);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await deploying.closed, 0, deploying.stdout + deploying.stderr);
    // sudo logs the argv of every command it ran for the deploy: the root side's argv, whole.
    for (const n of [1, 2]) {
      const log = openssh(fleet, address(n), 'cat /run/sudo.log').stdout;
      assert.match(log, /COMMAND=\S*sh -c/, `sudo ran the deploy's root steps on sandbox-${n}`);
      assert.ok(!log.includes(password), `the password is in sudo's log on sandbox-${n}`);
    }
    assert.ok(!argvs.some((ps) => ps.includes(password)), 'the password was in an argv');
    const outputs = [deploying.stdout + deploying.stderr];
    for (const args of [
      ['status', 'all'],
      ['restart', 'all', 'sudoed', '--rolling', '1'],
      ['rollback', 'all', 'sudoed'],
    ]) {
      const r = withPassword(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      outputs.push(r.stdout + r.stderr);
    }
    for (let n = 1; n <= 4; n++) {
      const live = openssh(fleet, address(n), 'cat /srv/sudoed/current/VERSION').stdout.trim();
      assert.equal(live, '1', `sandbox-${n} is back on v1`);
    }
    assert.ok(!outputs.some((text) => text.includes(password)), 'the password was in the output');
    // The tty hosts' root steps leave nothing behind in /tmp.
    assert.equal(openssh(fleet, address(2), 'ls -a /tmp | grep -c convoy || true').stdout.trim(), '0');
  });

  test('the password never becomes the input of a command whose sudo does not ask for it', () => {
    const r = withPassword('exec', 'all', '--sudo', '--', 'cat; echo end');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (let n = 1; n <= 4; n++) assert.match(r.stdout, new RegExp(`^sandbox-${n} \\| end$`, 'm'));
    assert.ok(!r.stdout.includes(password));
  });

  test('a wrong password fails its host after one answer: sudo logs one incorrect attempt per host and run', () => {
    const before = [incorrectAttempts(1), incorrectAttempts(2)];
    const wrong = path.join(project, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const r = run('--sudo-pass-file', wrong, 'deploy', 'all', 'sudoed');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    for (const host of ['sandbox-1', 'sandbox-2'])
      assert.match(
        r.stdout,
        new RegExp(`${host}: sudo refused the password for convoy \\(Convoy answers sudo's prompt once`),
      );
    assert.deepEqual([incorrectAttempts(1), incorrectAttempts(2)], [before[0]! + 1, before[1]! + 1]);
  });

  test('--ask-sudo-pass asks once on a terminal (hidden), and refuses to run without one', () => {
    const args = ['-i', inventory, '--ask-sudo-pass', 'exec', 'all', '--sudo', '--', 'id -u'];
    const onTerminal = convoyOnTerminal(args, { home: project, answers: [password], promptMark: 'sudo password: ' });
    assert.equal(onTerminal.code, 0, onTerminal.output);
    assert.equal(onTerminal.prompts, 1, 'asked once');
    assert.ok(!onTerminal.output.includes(password), 'the typed password was echoed');
    for (let n = 1; n <= 4; n++) assert.match(onTerminal.output, new RegExp(`sandbox-${n} \\| 0`));
    const noTerminal = run('--ask-sudo-pass', 'exec', 'all', '--sudo', '--', 'id -u');
    assert.equal(noTerminal.code, 2);
    assert.match(
      noTerminal.stderr,
      /--ask-sudo-pass needs a terminal to ask on; without one, use --sudo-pass-file FILE/,
    );
  });

  test('through transport = openssh the same: the prompt answered on the client, requiretty met with ssh -tt', () => {
    const viaOpenssh = path.join(project, 'openssh.ini');
    writeFileSync(
      viaOpenssh,
      readFileSync(inventory, 'utf8').replace('[defaults]\n', '[defaults]\ntransport = openssh\n'),
    );
    const r = convoy(['-i', viaOpenssh, '--sudo-pass-file', passFile, 'exec', 'all', '--sudo', '--', 'id -u; cat'], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (let n = 1; n <= 4; n++) assert.match(r.stdout, new RegExp(`^sandbox-${n} \\| 0$`, 'm'));
    assert.ok(!r.stdout.includes(password));
    assert.doesNotMatch(r.stdout, /\r/, 'no CR from the pty');
  });
});
