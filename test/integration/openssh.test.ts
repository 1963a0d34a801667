// `transport = openssh` (issue 15, item 6) against real sshd: hosts with a CA-signed host key (@cert-authority in
// known_hosts) that take logins by user certificate only (TrustedUserCAKeys; CertificateFile on the client) are
// reached through the system ssh with one ControlMaster per host: exec, status, deploy. The same hosts through the
// default ssh2 transport are refused with a message naming the setting. On a plain host both transports give the same
// results, output and exit codes; an unreachable host is reported as ssh2 reports it. Addresses 127.0.28.x only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = (version: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'certified',
  root: '/srv/certified',
  artifact: 'build/v${version}',
  programs: { certified: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

interface ExecResult {
  host: string;
  status: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('transport = openssh: certificates through the system ssh', { skip }, () => {
  let ca: TestFleet;
  let plain: TestFleet;
  let project: string;
  const tmp = () => path.join(project, 'tmp');
  const run = (inventory: string, ...args: string[]): CliResult =>
    convoy(['-i', inventory, ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '', TMPDIR: tmp() } });
  const inventory = (name: string, text: string) => {
    writeFileSync(path.join(project, name), text);
    return path.join(project, name);
  };
  const caWith = (transport: string) =>
    inventory(
      `ca-${transport}.ini`,
      readFileSync(ca.inventory, 'utf8').replace(/^transport = openssh.*$/m, `transport = ${transport}`),
    );

  before(() => {
    ca = startFleet({ hosts: 2, firstAddress: '127.0.28.1', sshCa: true });
    plain = startFleet({ hosts: 1, firstAddress: '127.0.28.11' });
    project = userProject('openssh');
    mkdirSync(tmp());
    // CertificateFile comes from the user's ssh config, which includes the one the sandbox wrote.
    mkdirSync(path.join(project, '.ssh'), { mode: 0o700 });
    writeFileSync(path.join(project, '.ssh', 'config'), `Include ${path.join(ca.stateDir, 'ssh_config')}\n`);
  });
  after(() => {
    // Masters kept by the --persist test: ended through their own control sockets (ours; nothing else is signalled).
    const kept = path.join(project ?? '', '.convoy', 'openssh');
    for (const name of safeList(kept).filter((f) => /^[0-9a-f]{12}$/.test(f))) {
      try {
        execFileSync('ssh', ['-S', path.join(kept, name), '-O', 'exit', 'x'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    ca?.down();
    plain?.down();
  });

  test('exec, status and deploy through openssh on CA-signed hosts with a user certificate', () => {
    const exec = run(ca.inventory, '--json', 'exec', 'all', '--', 'hostname; echo oops >&2; exit 3');
    const results = jsonLines<ExecResult>(exec.stdout).results;
    assert.equal(exec.code, 1, exec.stdout + exec.stderr);
    assert.deepEqual(results.map((r) => [r.host, r.code, r.stdout, r.stderr]).sort(), [
      ['sandbox-1', 3, 'sandbox-1\n', 'oops\n'],
      ['sandbox-2', 3, 'sandbox-2\n', 'oops\n'],
    ]);
    const empty = run(ca.inventory, 'status');
    assert.equal(empty.code, 0, empty.stdout + empty.stderr);
    assert.match(empty.stdout, /supervisord runs no program/);

    mkdirSync(path.join(project, 'build', 'v1'), { recursive: true });
    writeFileSync(path.join(project, 'build', 'v1', 'VERSION'), '1\n');
    writeFileSync(path.join(project, 'tasks', 'certified.ts'), task('1'));
    const deploy = run(ca.inventory, 'deploy', 'all', 'certified');
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    const again = run(ca.inventory, 'deploy', 'all', 'certified');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /unchanged/);
    const status = run(ca.inventory, '--json', 'status', 'all', 'certified:*');
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const programs = jsonLines<{ host: string; state: string }>(status.stdout).programs;
    assert.deepEqual(programs.map((p) => [p.host, p.state]).sort(), [
      ['sandbox-1', 'RUNNING'],
      ['sandbox-2', 'RUNNING'],
    ]);
    const left = readdirSync(tmp()).filter((f) => f.startsWith('convoy-ctl-'));
    assert.deepEqual(left, [], 'control sockets and their private directory are gone after each run');
  });

  test('the same hosts through the ssh2 transport are refused, naming transport = openssh', () => {
    const refused = run(caWith('ssh2'), 'exec', 'all', '--', 'true');
    assert.equal(refused.code, 4, refused.stdout + refused.stderr);
    assert.match(
      refused.stdout + refused.stderr,
      /@cert-authority line .*known_hosts:1.*set `transport = openssh` for sandbox-1/,
    );
  });

  test('a plain host: the same results, output and exit codes through both transports', () => {
    const address = plain.addresses[0] ?? '';
    const both = inventory(
      'both.ini',
      readFileSync(plain.inventory, 'utf8') +
        `\n[host:via-ssh2]\naddress = ${address}\n\n[host:via-openssh]\naddress = ${address}\ntransport = openssh\n` +
        `\n[host:behind-openssh]\naddress = ${address}\ntransport = openssh\njump = via-openssh\n`,
    );
    const command = "printf 'a b\\n'; printf 'warn\\n' >&2; read line; echo \"got:$line\"; exit 7";
    const exec = run(both, '--json', 'exec', 'via-ssh2,via-openssh', '--', command);
    assert.equal(exec.code, 1, exec.stdout + exec.stderr);
    const [one, two] = jsonLines<ExecResult>(exec.stdout).results.sort((a, b) => a.host.localeCompare(b.host));
    assert.deepEqual([one?.code, one?.stdout, one?.stderr, one?.status], [7, 'a b\ngot:\n', 'warn\n', 'failed']);
    assert.deepEqual(
      [two?.code, two?.stdout, two?.stderr, two?.status],
      [one?.code, one?.stdout, one?.stderr, one?.status],
    );
    const status = run(both, 'status', 'via-ssh2,via-openssh');
    assert.equal(status.code, 0, status.stdout + status.stderr);
    // Behind a jump host: through that host's own master (ssh -W on it).
    const jumped = run(both, '--json', 'exec', 'behind-openssh', '--', command);
    const [three] = jsonLines<ExecResult>(jumped.stdout).results;
    assert.deepEqual([three?.code, three?.stdout, three?.stderr], [one?.code, one?.stdout, one?.stderr], jumped.stderr);
  });

  test('unreachable through openssh: reported unreachable, exit 4, as through ssh2', () => {
    const nowhere = inventory(
      'nowhere.ini',
      `[defaults]\nuser = root\nidentity = ${plain.keyFile}\nknown_hosts = ${plain.knownHosts}\nconnect_timeout = 3\n\n` +
        '[host:gone-openssh]\naddress = 127.0.28.99\ntransport = openssh\n\n[host:gone-ssh2]\naddress = 127.0.28.99\n',
    );
    const r = run(nowhere, '--json', 'exec', 'all', '--', 'true');
    assert.equal(r.code, 4, r.stdout + r.stderr);
    const results = jsonLines<ExecResult & { error?: string }>(r.stdout).results;
    assert.deepEqual(
      results.map((x) => x.status),
      ['unreachable', 'unreachable'],
    );
    for (const x of results) assert.match(JSON.stringify(x), /connection refused/);
  });

  test('--persist keeps the masters: a second run finds them warm', () => {
    const first = run(ca.inventory, '--persist', '2m', 'status');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const kept = safeList(path.join(project, '.convoy', 'openssh')).filter((f) => /^[0-9a-f]{12}$/.test(f));
    assert.equal(kept.length, 2, 'one master per host, kept');
    const second = run(ca.inventory, '--persist', '2m', 'exec', 'all', '--', 'echo warm');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /warm/);
  });
});

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
