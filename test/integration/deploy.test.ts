// `convoy deploy` / `rollback` on real hosts: releases, current, confs, restarts only when something changed,
// other apps untouched, locks, dry runs that change nothing, interrupted uploads, bad task files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import {
  convoy,
  convoyBin,
  integrationSkipReason,
  openssh,
  repoRoot,
  startFleet,
  userProject,
} from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';
import { listProcesses } from './support/procs.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';

const skip = integrationSkipReason();

/** `--json` runs print one JSON object per line (events, then a result per host), the summary last. */
function lastJson(stdout: string): unknown {
  const lines = jsonLines(stdout);
  return { ...lines.summary, results: lines.results };
}
const port = 8081;

interface DeployJson {
  results: {
    host: string;
    app: string;
    result: string;
    release: string;
    previousRelease?: string;
    uploadedBytes: number;
    restarted: boolean;
    error?: string;
  }[];
}

const helloTask = (extra = '') => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'hello',
  root: '/srv/hello',
  artifact: process.env.HELLO_ARTIFACT ?? 'build/hello',
  keepReleases: 3,
  programs: {
    web: { command: '/usr/bin/node server.js --host {{address}} --port {{app_port}}', startsecs: 1, stopsignal: 'TERM' },
  },
  healthcheck: { http: 'http://{{address}}:{{app_port}}/health', timeout: '8s' },
  ${extra}
});
`;

describe('deploy, redeploy, rollback on 3 hosts', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let inventory: string;
  const deploy = (...args: string[]): CliResult =>
    convoy(['-i', inventory, ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const deployJson = (...args: string[]) => {
    const r = deploy('--json', ...args);
    return { code: r.code, doc: lastJson(r.stdout) as DeployJson, stderr: r.stderr, stdout: r.stdout };
  };
  // A new connection per request: a kept-alive one would still point at the process a deploy just replaced.
  const version = (address: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: address, port, path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve(body.trim()));
        })
        .on('error', reject);
    });
  const pids = (address: string, program: string) =>
    openssh(fleet, address, `supervisorctl pid ${program}`).stdout.trim();
  const writeArtifact = (name: string, v: string) => {
    const dir = path.join(project, 'build', name);
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(repoRoot, 'examples/hello/server.js'), path.join(dir, 'server.js'));
    writeFileSync(path.join(dir, 'VERSION'), `${v}\n`);
    return dir;
  };
  const hostTree = (i: number) => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else
          out.push(
            `${full} ${e.isSymbolicLink() ? 'link' : readFileSync(full).toString('base64').slice(0, 64)} ${statSync(full).size}`,
          );
      }
    };
    walk(path.join(fleet.stateDir, 'hosts', String(i + 1), 'srv'));
    return (
      out.join('\n') +
      readFileSync(path.join(fleet.stateDir, 'hosts', String(i + 1), 'etc-supervisor/conf.d/hello.conf'), 'utf8')
    );
  };

  before(() => {
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.7.1' });
    project = userProject('deploy');
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask());
    writeArtifact('hello', '1');
    inventory = path.join(project, 'fleet.ini');
    // `app_port` is the app's variable; `port` is the SSH port setting.
    writeFileSync(
      inventory,
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
        fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
        `\n[group:web]\nhosts = h[1:3]\napp_port = ${port}\n`,
    );
    // A second app, installed by hand, that no deploy of hello may touch.
    for (const a of fleet.addresses) {
      const r = openssh(
        fleet,
        a,
        "printf '[program:other]\\ncommand=/bin/sleep 3600\\n' > /etc/supervisor/conf.d/other.conf && supervisorctl update >/dev/null && sleep 1.2 && supervisorctl pid other",
      );
      assert.match(r.stdout, /^\d+$/m, r.stderr);
    }
  });
  after(() => fleet?.down());

  test('first deploy: releases/<id>, current, the conf, programs RUNNING, the health route answers', async () => {
    const otherBefore = fleet.addresses.map((a) => pids(a, 'other'));
    const { code, doc, stderr, stdout } = deployJson('deploy', 'web', 'hello');
    assert.equal(code, 0, stderr + JSON.stringify(doc));
    assert.deepEqual(
      doc.results.map((r) => [r.host, r.result]),
      [
        ['h1', 'deployed'],
        ['h2', 'deployed'],
        ['h3', 'deployed'],
      ],
    );
    const release = doc.results[0]!.release;
    assert.match(release, /^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
    // The upload step says the size as the table does (a small artifact is kB, not '0.0 MB').
    const uploads = jsonLines<{ step?: string; detail?: string }>(stdout).records.filter(
      (e) => e.step === 'hello: upload',
    );
    assert.equal(uploads.length, 3);
    assert.ok(doc.results[0]!.uploadedBytes < 1e6);
    for (const e of uploads) assert.match(String(e.detail), /^\d+(\.\d)? (B|kB)$/);
    for (const [i, a] of fleet.addresses.entries()) {
      const r = openssh(
        fleet,
        a,
        'readlink /srv/hello/current; ls /srv/hello/releases; supervisorctl status hello:web; head -3 /etc/supervisor/conf.d/hello.conf',
      );
      assert.match(r.stdout, new RegExp(`^releases/${release}$`, 'm'));
      assert.match(r.stdout, /^hello:web\s+RUNNING/m);
      assert.match(r.stdout, /\[group:hello\]/);
      assert.equal(await version(a), '1');
      assert.equal(pids(a, 'other'), otherBefore[i]);
    }
  });

  test('an identical redeploy uploads nothing and restarts nothing', () => {
    const before = fleet.addresses.map((a) => pids(a, 'hello:web'));
    const { code, doc } = deployJson('deploy', 'web', 'hello');
    assert.equal(code, 0);
    assert.deepEqual(
      doc.results.map((r) => [r.result, r.uploadedBytes, r.restarted]),
      [
        ['unchanged', 0, false],
        ['unchanged', 0, false],
        ['unchanged', 0, false],
      ],
    );
    assert.deepEqual(
      fleet.addresses.map((a) => pids(a, 'hello:web')),
      before,
    );
  });

  test('dry run: shows the release, bytes, conf diff and programs, and changes nothing on the hosts', () => {
    writeArtifact('hello', '2');
    writeFileSync(
      path.join(project, 'tasks', 'hello.ts'),
      helloTask().replace('startsecs: 1,', "startsecs: 1, environment: { GREETING: 'hi' },"),
    );
    const trees = fleet.addresses.map((_, i) => hostTree(i));
    const r = deploy('deploy', 'web', 'hello', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /h1 .*would change/);
    // The key is named, its value never shown (it may be a credential: docs/deploy.md, "Dry run").
    assert.match(r.stdout, /\+environment=GREETING=<value changed>/);
    assert.doesNotMatch(r.stdout, /"hi"/);
    assert.match(r.stdout, /hello:web/);
    assert.match(r.stdout, /upload \d+(\.\d+)? (kB|MB|B)/);
    assert.deepEqual(
      fleet.addresses.map((_, i) => hostTree(i)),
      trees,
    );
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask());
  });

  test('a changed artifact: new release, current moves, programs restart, other apps keep their PIDs', async () => {
    const otherBefore = fleet.addresses.map((a) => pids(a, 'other'));
    const webBefore = fleet.addresses.map((a) => pids(a, 'hello:web'));
    const { code, doc, stderr } = deployJson('deploy', 'web', 'hello');
    assert.equal(code, 0, stderr + JSON.stringify(doc));
    assert.ok(doc.results.every((r) => r.result === 'deployed' && r.restarted && r.previousRelease !== r.release));
    for (const [i, a] of fleet.addresses.entries()) {
      assert.equal(await version(a), '2');
      assert.notEqual(pids(a, 'hello:web'), webBefore[i]);
      assert.equal(pids(a, 'other'), otherBefore[i]);
    }
  });

  test('rollback returns to the previous release and restarts; its result reads rolled back', async () => {
    const { code, doc } = deployJson('rollback', 'web', 'hello');
    assert.equal(code, 0);
    assert.deepEqual(
      doc.results.map((r) => r.result),
      ['rolled back', 'rolled back', 'rolled back'],
    );
    for (const a of fleet.addresses) assert.equal(await version(a), '1');
    const forward = deploy('deploy', 'web', 'hello');
    assert.equal(forward.code, 0, forward.stdout);
    for (const a of fleet.addresses) assert.equal(await version(a), '2');
  });

  test('a release whose health check fails goes back to the previous one; exit 1', async () => {
    const dir = writeArtifact('hello', '3');
    writeFileSync(path.join(dir, 'FAIL_HEALTH'), '');
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask().replace("timeout: '8s'", "timeout: '2s'"));
    const { code, doc } = deployJson('deploy', 'web', 'hello');
    assert.equal(code, 1);
    assert.deepEqual(
      doc.results.map((r) => r.result),
      ['reverted', 'reverted', 'reverted'],
    );
    assert.match(doc.results[0]!.error ?? '', /health check/);
    for (const a of fleet.addresses) {
      assert.equal(await version(a), '2');
      assert.match(openssh(fleet, a, 'supervisorctl status hello:web').stdout, /RUNNING/);
    }
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask());
    writeArtifact('hello', '2');
    rmSync(path.join(dir, 'FAIL_HEALTH'));
  });

  test('a concurrent deploy fails on the lock, naming the holder; nothing switches', async () => {
    writeArtifact('hello', '4');
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask("hooks: { afterUpload: 'sleep 4' },"));
    const first = spawn(process.execPath, [convoyBin, '-i', inventory, 'deploy', 'web', 'hello'], {
      cwd: project,
      env: { ...process.env, HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1' },
    });
    const firstDone = new Promise<number | null>((resolve) => first.on('close', resolve));
    await new Promise((r) => setTimeout(r, 2000));
    const second = deployJson('deploy', 'web', 'hello');
    assert.equal(second.code, 1);
    assert.match(
      second.doc.results[0]!.error ?? '',
      new RegExp(
        `hello is locked by ${os.userInfo().username}@${os.hostname().replace(/\./g, '\\.')} \\(pid ${first.pid}\\) since .* running \`convoy deploy web hello\``,
      ),
    );
    assert.equal(await firstDone, 0);
    for (const a of fleet.addresses) assert.equal(await version(a), '4');
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), helloTask());
  });

  test(
    'killing the SSH connection mid-upload leaves current and the programs untouched; the next deploy completes',
    { timeout: 180_000 },
    async () => {
      const big = path.join(project, 'build', 'big');
      writeArtifact('big', '5');
      writeFileSync(path.join(big, 'ballast.bin'), Buffer.alloc(150 * 1024 * 1024, 7));
      const before = await Promise.all(fleet.addresses.map((a) => version(a)));
      const webBefore = fleet.addresses.map((a) => pids(a, 'hello:web'));
      const state = JSON.parse(readFileSync(path.join(fleet.stateDir, 'state.json'), 'utf8')) as SandboxState;
      // A directory artifact goes as the store objects h2 lacks (docs/deploy.md, "Delta uploads"): one tar of them,
      // `.convoy/objects/.incoming-<release>.tar`; a whole-file upload would be `.convoy/artifacts/*.partial`.
      const convoyDir = path.join(fleet.stateDir, 'hosts', '2', 'srv', 'hello', '.convoy');
      const uploading = (f: string) => f.endsWith('.partial') || (f.startsWith('.incoming-') && f.endsWith('.tar'));
      const run = spawn(process.execPath, [convoyBin, '-i', inventory, '--json', 'deploy', 'web', 'hello'], {
        cwd: project,
        env: { ...process.env, HOME: project, SSH_AUTH_SOCK: '', HELLO_ARTIFACT: 'build/big' },
      });
      let stdout = '';
      run.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      let exited = false;
      const done = new Promise<number | null>((resolve) => run.on('close', (code) => ((exited = true), resolve(code))));
      // Wait for the upload to h2 to be under way, then kill h2's sshd session process (the host itself stays up).
      // Bounded by the run itself, not a count: on a loaded machine tarring 150 MB alone can take more than 10 s.
      const ns = readlinkSync(`/proc/${state.hosts[1]!.init!.pid}/ns/pid`);
      let killed = false;
      const deadline = Date.now() + 120_000;
      while (!killed && !exited && Date.now() < deadline) {
        const partial = ['artifacts', 'objects']
          .map((dir) => {
            try {
              const found = readdirSync(path.join(convoyDir, dir)).find(uploading);
              return found === undefined ? undefined : path.join(convoyDir, dir, found);
            } catch {
              return undefined;
            }
          })
          .find((f) => f !== undefined);
        if (partial && (statSync(partial, { throwIfNoEntry: false })?.size ?? 0) > 1024 * 1024) {
          for (const p of listProcesses().filter((x) => x.pidNamespace === ns && /^sshd: root@notty/.test(x.cmdline)))
            process.kill(p.pid, 'SIGKILL');
          killed = true;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(killed, 'the upload was never seen in progress');
      assert.equal(await done, 1);
      const doc = lastJson(stdout) as DeployJson;
      assert.deepEqual(
        doc.results.map((r) => r.result),
        ['skipped', 'failed', 'skipped'],
      );
      assert.deepEqual(await Promise.all(fleet.addresses.map((a) => version(a))), before);
      assert.deepEqual(
        fleet.addresses.map((a) => pids(a, 'hello:web')),
        webBefore,
      );
      const next = convoy(['-i', inventory, 'deploy', 'web', 'hello'], {
        cwd: project,
        env: { HOME: project, SSH_AUTH_SOCK: '', HELLO_ARTIFACT: 'build/big' },
      });
      assert.equal(next.code, 0, next.stdout + next.stderr);
      for (const a of fleet.addresses) assert.equal(await version(a), '5');
    },
  );

  test('convoy run: a custom task on every host with run, put, get, supervisor and log; check lists apps and tasks', () => {
    writeFileSync(path.join(project, 'build', 'note.txt'), 'hello from the laptop\n');
    writeFileSync(
      path.join(project, 'tasks', 'ops.ts'),
      `import { defineTask } from 'convoy';
export const stamp = defineTask('stamp', async ({ host, run, put, get, supervisor, log }) => {
  await put('build/note.txt', '/srv/note.txt');
  const r = await run('cat /srv/note.txt && hostname');
  const programs = (await supervisor.getAllProcessInfo()).map((p) => p.group + ':' + p.name).sort();
  log(\`\${host.name} said \${r.stdout.trim().split('\\n').join(' / ')}; programs \${programs.join(' ')}\`);
  await get('/etc/hostname', 'got-{{host}}.txt');
});
export const boom = defineTask('boom', async ({ host }) => {
  if (host.name === 'h2') throw new Error('h2 refuses');
});
export const strict = defineTask('strict', { hosts: 'h1' }, async ({ run, log }) => {
  const soft = await run('echo soft >&2; exit 4', { warn: true });
  log(\`warned: exit \${soft.code}\`);
  await run('echo oops from the host >&2; exit 3');
  log('not reached');
});
`,
    );
    const r = deploy('run', 'stamp', 'web');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (let i = 1; i <= 3; i++) {
      assert.match(
        r.stdout,
        new RegExp(`^h${i} \\| h${i} said hello from the laptop / sandbox-${i}; programs hello:web other:other$`, 'm'),
      );
      assert.equal(readFileSync(path.join(project, `got-h${i}.txt`), 'utf8'), `sandbox-${i}\n`);
    }
    const boom = deploy('run', 'boom', 'web');
    assert.equal(boom.code, 1);
    assert.match(boom.stdout, /^h2 ✗ failed: h2 refuses$/m);
    assert.match(boom.stdout, /^3 hosts: 2 ok, 1 failed, 0 unreachable/m);
    // run() throws on a non-zero exit, with the host's stderr, unless asked to warn; a task may name its hosts.
    const strict = deploy('run', 'strict');
    assert.equal(strict.code, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /^h1 \| warned: exit 4$/m);
    assert.match(strict.stdout, /^h1 ✗ failed: .*exit code 3.*oops from the host/m);
    assert.doesNotMatch(strict.stdout, /not reached/);
    assert.match(strict.stdout, /^1 host: 0 ok, 1 failed/m);
    const noTarget = deploy('run', 'stamp');
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.stderr, /task 'stamp' names no hosts: give a target/);
    const check = deploy('check');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /tasks\/: ok \(apps: hello; tasks: boom, stamp, strict\)/);
    rmSync(path.join(project, 'tasks', 'ops.ts'));
  });

  test('a bad task file exits 2 listing every problem, and no host sees a connection', () => {
    const accepted = () =>
      fleet.addresses.map(
        (_, i) =>
          (
            readFileSync(path.join(fleet.stateDir, 'hosts', String(i + 1), 'sshd.log'), 'utf8').match(
              /Accepted publickey/g,
            ) ?? []
          ).length,
      );
    const before = accepted();
    writeFileSync(
      path.join(project, 'tasks', 'bad.ts'),
      `import { defineApp } from 'convoy';
export default defineApp({
  name: 'bad',
  root: '/srv/bad',
  keepRelease: 2,
  programs: { 'web;rm': { command: 'run --port {{nope}}' } },
} as never);
`,
    );
    const r = deploy('deploy', 'web', 'bad');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /keepRelease/);
    assert.match(r.stderr, /keepReleases/);
    assert.match(r.stderr, /web;rm/);
    assert.match(r.stderr, /\{\{nope\}\}/);
    assert.deepEqual(accepted(), before);
    rmSync(path.join(project, 'tasks', 'bad.ts'));
  });
});
