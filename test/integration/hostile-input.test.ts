// Hostile input end to end: names with quotes, `$()`, backticks, `;`, spaces, `../` and non-ASCII text are refused
// before any connection (exit 2, file, line or key, value, what was expected); values that may hold such text reach
// the host byte for byte through Supervisor's environment, a program's argv, a hook and a health check, and run nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { convoyBin, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

// What the inventory line below decodes to (`\;` is the INI escape for a `;` that does not start a comment).
const evil = '$(touch /tmp/pwned) `touch /tmp/pwned2`; rm -rf ../ "dq" é 日本 {{host}} %(ENV_HOME)s';
const evilLine = 'evil = $(touch /tmp/pwned) `touch /tmp/pwned2`\\; rm -rf ../ "dq" é 日本 {{host}} %(ENV_HOME)s';
// One argv word for Supervisor (which splits `command` like a POSIX shell but runs no shell).
const word = '$(touch${IFS}/tmp/pwned3);`touch${IFS}/tmp/pwned4`|../é';

const hostileTask = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'hostile',
  root: '/srv/hostile',
  artifact: 'build/hostile',
  programs: { probe: { command: '/bin/sh probe.sh {{word}}', startsecs: 1, environment: { EVIL: '{{evil}}' } } },
  hooks: { afterUpload: 'printf %s {{evil}} > hook-arg' },
  healthcheck: { command: 'printf %s {{evil}} > {{root}}/shared/health-arg', timeout: '5s' },
});
`;

describe('hostile input, end to end (1 host)', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let listener: net.Server;
  let listenerPort = 0;
  let connections = 0;

  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [convoyBin, ...args], {
      cwd: project,
      env: { ...process.env, HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const initPid = (): number => {
    const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
    const pid = state.hosts[0]?.init?.pid;
    assert.ok(pid);
    return pid;
  };
  const markers = () =>
    ['pwned', 'pwned2', 'pwned3', 'pwned4']
      .flatMap((m) => [`/proc/${initPid()}/root/tmp/${m}`, `/tmp/${m}`])
      .filter((f) => existsSync(f));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    writeFileSync(path.join(project, file), text);
  };
  // An inventory whose one good host points at a listener that counts connections: validation must stop first.
  const trapInventory = (body: string) =>
    `[defaults]\nuser = root\nport = ${listenerPort}\n\n[host:ok1]\naddress = 127.0.13.200\n\n${body}`;

  before(async () => {
    fleet = startFleet({ hosts: 1, firstAddress: '127.0.13.1' });
    project = userProject('hostile');
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.13.200', resolve));
    listenerPort = (listener.address() as net.AddressInfo).port;
  });
  after(async () => {
    fleet?.down();
    await new Promise((resolve) => listener?.close(resolve));
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('hostile host, group and variable names in the inventory: every one refused with its line; exit 2, nothing connects', () => {
    write(
      'trap.ini',
      trapInventory(
        [
          '[host:web;touch /tmp/pwned]', // 8
          '[host:$(touch /tmp/pwned)]',
          '[host:`touch /tmp/pwned`]',
          '[host:../etc]',
          '[host:café]',
          '[host:two words]',
          '[group:web servers]', // 14
          'hosts = ok1',
          '[group:g2]', // 16
          'hosts = ok1, "quoted", it\'s',
          'children = $(touch /tmp/pwned)',
          '[group:g3]', // 19
          'hosts = ok1',
          'app port = 1',
          '$(touch /tmp/pwned) = 1',
        ].join('\n') + '\n',
      ),
    );
    write('tasks/.keep', '');
    const r = run(['-i', 'trap.ini', 'exec', 'all', '--', 'true']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const expected = "(expected letters, digits, '.', '-' and '_', not starting with '.' or '-')";
    for (const [line, kind, name] of [
      [8, 'host', 'web;touch /tmp/pwned'],
      [9, 'host', '$(touch /tmp/pwned)'],
      [10, 'host', '`touch /tmp/pwned`'],
      [11, 'host', '../etc'],
      [12, 'host', 'café'],
      [13, 'host', 'two words'],
      [14, 'group', 'web servers'],
    ] as const) {
      assert.ok(
        r.stderr.includes(`trap.ini:${line}: [${kind}:${name}] ${kind} name '${name}' is not valid ${expected}`),
        `line ${line}:\n${r.stderr}`,
      );
    }
    for (const name of ['"quoted"', "it's"])
      assert.ok(
        r.stderr.includes(`trap.ini:17: [group:g2] hosts: host name '${name}' is not valid`),
        `${name}:\n${r.stderr}`,
      );
    assert.ok(
      r.stderr.includes("trap.ini:18: [group:g2] children: group name '$(touch /tmp/pwned)' is not valid"),
      r.stderr,
    );
    assert.ok(r.stderr.includes("trap.ini:21: [group:g3] app port: 'app port' is not a valid variable name"), r.stderr);
    assert.ok(
      r.stderr.includes(
        "trap.ini:22: [group:g3] $(touch /tmp/pwned): '$(touch /tmp/pwned)' is not a valid variable name",
      ),
      r.stderr,
    );
    assert.match(r.stderr, /^convoy: .*trap\.ini: 12 problems$/m);
    assert.equal(connections, 0);
    assert.deepEqual(markers(), []);
  });

  test('hostile app, program, task and environment names in task files: refused with file and key; exit 2, nothing connects', () => {
    write('trap.ini', trapInventory(''));
    rmSync(path.join(project, 'tasks'), { recursive: true, force: true });
    write(
      'tasks/bad.ts',
      `import { defineApp, defineTask } from 'convoy';
export default defineApp({
  name: '../evil',
  root: '/srv/$(touch /tmp/pwned)',
  artifact: 'build/hostile',
  programs: {
    'web;touch /tmp/pwned': { command: '/bin/true' },
    'two words': { command: '/bin/true' },
    'café': { command: '/bin/true', environment: { 'BAD KEY': 'x', '$(id)': 'y' } },
  },
});
export const t = defineTask('\`touch /tmp/pwned\`', async () => {});
`,
    );
    const r = run(['-i', 'trap.ini', 'deploy', 'all']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const rule = "(expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit)";
    for (const [key, value, kind] of [
      ['name', '../evil', 'app'],
      ['programs.web;touch /tmp/pwned', 'web;touch /tmp/pwned', 'program'],
      ['programs.two words', 'two words', 'program'],
      ['programs.café', 'café', 'program'],
    ] as const) {
      assert.ok(r.stderr.includes(`${key}: '${value}' is not a valid ${kind} name ${rule}`), `${key}:\n${r.stderr}`);
    }
    assert.ok(r.stderr.includes("root: '/srv/$(touch /tmp/pwned)' is not a safe absolute path"), r.stderr);
    assert.ok(r.stderr.includes("environment.BAD KEY: 'BAD KEY' is not a valid variable name"), r.stderr);
    assert.ok(r.stderr.includes("environment.$(id): '$(id)' is not a valid variable name"), r.stderr);
    assert.ok(r.stderr.includes("'`touch /tmp/pwned`' is not a valid task name"), r.stderr);
    assert.match(r.stderr, /tasks\/bad\.ts/);
    assert.equal(connections, 0);
    assert.deepEqual(markers(), []);
  });

  test('a value Supervisor cannot carry (both quote kinds) is refused naming app, host and key; a hostile target or task matches nothing; exit 2', () => {
    write('trap.ini', trapInventory(`[group:g]\nhosts = ok1\nword = x\nevil = it's "both"\n`));
    rmSync(path.join(project, 'tasks'), { recursive: true, force: true });
    write('tasks/hostile.ts', hostileTask);
    write('build/hostile/probe.sh', 'exec sleep 3600\n');
    const r = run(['-i', 'trap.ini', 'deploy', 'all']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stderr.includes(
        `app 'hostile' on ok1: app 'hostile' on host ok1: [program:probe] environment.EVIL: contains both ' and ", which Supervisor's environment syntax cannot quote`,
      ),
      r.stderr,
    );
    const target = run(['-i', 'trap.ini', 'exec', 'ok1;touch /tmp/pwned', '--', 'true']);
    assert.equal(target.code, 2, target.stderr);
    assert.match(target.stderr, /ok1;touch \/tmp\/pwned/);
    const task = run(['-i', 'trap.ini', 'run', '$(touch /tmp/pwned)', 'all']);
    assert.equal(task.code, 2, task.stderr);
    assert.match(task.stderr, /\$\(touch \/tmp\/pwned\)/);
    assert.equal(connections, 0);
    assert.deepEqual(markers(), []);
  });

  test('hostile values reach the host byte for byte (environment, argv, hook, health check) and execute nothing', () => {
    rmSync(path.join(project, 'tasks'), { recursive: true, force: true });
    write('tasks/hostile.ts', hostileTask);
    write(
      'build/hostile/probe.sh',
      'printf %s "$1" > /srv/hostile/shared/arg\nprintf %s "$EVIL" > /srv/hostile/shared/env\nexec sleep 3600\n',
    );
    write(
      'fleet.ini',
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n[host:h1]\naddress = ${fleet.addresses[0]}\n${evilLine}\nword = ${word.replace(';', '\\;')}\n`,
    );
    const hosts = run(['-i', 'fleet.ini', '--json', 'hosts']);
    assert.deepEqual(jsonLines<{ vars: Record<string, string> }>(hosts.stdout).results[0]?.vars, { evil, word });
    const r = run(['-i', 'fleet.ini', 'deploy', 'all', 'hostile']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(openssh(fleet, fleet.addresses[0]!, 'supervisorctl status hostile:probe').stdout, /RUNNING/);
    const srv = path.join(fleet.stateDir, 'hosts', '1', 'srv', 'hostile');
    const bytes = (file: string) => readFileSync(path.join(srv, file));
    assert.deepEqual(bytes('shared/env'), Buffer.from(evil));
    assert.deepEqual(bytes('shared/arg'), Buffer.from(word));
    assert.deepEqual(bytes('current/hook-arg'), Buffer.from(evil));
    assert.deepEqual(bytes('shared/health-arg'), Buffer.from(evil));
    assert.deepEqual(markers(), []);
    assert.equal(connections, 0);
  });
});
