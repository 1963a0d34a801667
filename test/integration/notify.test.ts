// Notifications (docs/deploy.md, "Notifications") against a local HTTP server of the test's own: a deploy sends start
// and success to the inventory's and the app's webhooks, with the body the contract gives; a failing deploy sends
// failure; a webhook that never answers or answers 500 is a warning, and the deploy still exits 0, in bounded time.
// No webhook URL (whose path is the token) shows in any output.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { integrationSkipReason, openssh, spawnConvoy, startFleet, userProject } from './support/sandbox.ts';
import type { TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();
const token = 'T0CONVOY/B0TEST/SECRETTOKEN';

interface Received {
  path: string;
  body: Record<string, unknown> & { event: string; text: string };
}

const appTask = (name: string, extra: string) => `import { defineApp } from 'convoy';

export default defineApp({
  name: '${name}',
  hosts: 'web',
  root: '/srv/${name}',
  artifact: 'build/${name}',
  programs: { ${name}: { command: '/bin/sleep 3600', startsecs: 1 } },
  ${extra}
});
`;

/** A webhook receiver: `/ok/…` answers 204, `/fail/…` 500, `/hang/…` never (until the test ends). */
function startReceiver(): Promise<{ server: http.Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as Received['body'] });
      if (req.url?.startsWith('/hang/')) return;
      res.statusCode = req.url?.startsWith('/fail/') ? 500 : 204;
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, received })),
  );
}

describe('notifications: webhooks told of deploys', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const url = (kind: string, name: string) => `http://127.0.0.1:${receiver.port}/${kind}/${name}/${token}`;

  const writeInventory = (notify: string) => {
    const hosts = fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n');
    const defaults = `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n`;
    writeFileSync(path.join(project, 'fleet.ini'), `${defaults}${notify}\n${hosts}\n[group:web]\nhosts = h[1:2]\n`);
  };
  const deploy = async (...args: string[]) => {
    const started = performance.now();
    const child = spawnConvoy(['-i', 'fleet.ini', ...args], {
      cwd: project,
      env: { HOME: project, SSH_AUTH_SOCK: '', CONVOY_USER: 'ci-bot', APP_HOOK: url('ok', 'app') },
    });
    const code = await child.closed;
    return { code, stdout: child.stdout, stderr: child.stderr, ms: performance.now() - started };
  };
  const takeReceived = () => receiver.received.splice(0);

  before(async () => {
    receiver = await startReceiver();
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.37.1' });
    project = userProject('notify');
    writeFileSync(path.join(project, 'tasks', 'hello.ts'), appTask('hello', "notify: [{ env: 'APP_HOOK' }],"));
    writeFileSync(path.join(project, 'tasks', 'broken.ts'), appTask('broken', "hooks: { beforeSwitch: 'exit 3' },"));
    for (const name of ['hello', 'broken']) {
      mkdirSync(path.join(project, 'build', name), { recursive: true });
      writeFileSync(path.join(project, 'build', name, 'VERSION'), '1\n');
    }
  });
  after(() => {
    receiver?.server.closeAllConnections();
    receiver?.server.close();
    fleet?.down();
  });

  test("a deploy tells the inventory's and the app's webhooks it started and succeeded", async () => {
    writeInventory(`notify = ${url('ok', 'inventory')}`);
    const r = await deploy('deploy', 'web', 'hello');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = takeReceived();
    const paths = (event: string) => got.filter((g) => g.body.event === event).map((g) => g.path.split('/')[2]);
    assert.deepEqual(paths('start').sort(), ['app', 'inventory']);
    assert.deepEqual(paths('success').sort(), ['app', 'inventory']);
    const release = openssh(fleet, fleet.addresses[0]!, 'basename "$(readlink /srv/hello/current)"').stdout.trim();
    const record = openssh(fleet, fleet.addresses[0]!, 'tail -n 1 /srv/hello/.convoy/deploys.jsonl').stdout;
    const run = (JSON.parse(record) as { run: string }).run;
    const success = got.find((g) => g.body.event === 'success')!.body;
    const { text, durationMs, ...rest } = success;
    assert.deepEqual(rest, {
      event: 'success',
      action: 'deploy',
      app: 'hello',
      release,
      hosts: ['h1', 'h2'],
      who: `ci-bot@${os.hostname()}`,
      outcome: { ok: 2, failed: 0, unreachable: 0, skipped: 0, results: { h1: 'deployed', h2: 'deployed' } },
      run,
    });
    assert.ok(typeof durationMs === 'number' && durationMs > 0);
    assert.match(text, new RegExp(`^deploy of hello succeeded on 2 hosts: ${release} \\(\\d+\\.\\ds, ci-bot@`));
    const start = got.find((g) => g.body.event === 'start')!.body;
    assert.equal(start.run, run);
    assert.equal(start.release, null);
    assert.ok(!(r.stdout + r.stderr).includes('SECRETTOKEN'), 'no webhook URL in the output');
  });

  test("a failing deploy sends failure, with each host result; the exit code is the deploy's; a dry run sends nothing", async () => {
    const r = await deploy('deploy', 'web', 'broken');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const got = takeReceived();
    assert.deepEqual(
      got.map((g) => g.body.event),
      ['start', 'failure'],
    );
    const failure = got[1]!.body;
    assert.deepEqual(failure.outcome, {
      ok: 0,
      failed: 2,
      unreachable: 0,
      skipped: 0,
      results: { h1: 'reverted', h2: 'reverted' },
    });
    assert.match(failure.text, /^deploy of broken FAILED on 2 of 2 hosts: h1 reverted, h2 reverted \(/);
    const dry = await deploy('deploy', 'web', 'hello', '--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.deepEqual(takeReceived(), [], 'a dry run notifies nothing');
  });

  test('a webhook that never answers, and one that answers 500: warnings, exit 0, within the timeout', async () => {
    writeInventory(`notify = ${url('hang', 'inventory')}, ${url('fail', 'inventory')}\nnotify_timeout = 2s`);
    const r = await deploy('--json', 'deploy', 'web', 'hello');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = jsonLines(r.stdout);
    assert.equal(lines.summary.exitCode, 0);
    const warnings = lines.records.filter((x) => x.type === 'warning').map((x) => x.message as string);
    const label = `127.0.0.1:${receiver.port}`;
    assert.deepEqual(warnings.sort(), [
      `webhook ${label} answered HTTP 500 (start of deploy hello; the deploy is not affected)`,
      `webhook ${label} answered HTTP 500 (success of deploy hello; the deploy is not affected)`,
      `webhook ${label} did not answer within 2s (start of deploy hello; the deploy is not affected)`,
      `webhook ${label} did not answer within 2s (success of deploy hello; the deploy is not affected)`,
    ]);
    // The start is not awaited; the end waits for it (2 s at most), then for itself (2 s at most).
    assert.ok(r.ms < 20_000, `took ${Math.round(r.ms)} ms`);
    const got = takeReceived();
    const kindAndName = (g: Received) => g.path.split('/').slice(1, 3).join('/');
    assert.deepEqual(got.map((g) => `${kindAndName(g)} ${g.body.event}`).sort(), [
      'fail/inventory start',
      'fail/inventory success',
      'hang/inventory start',
      'hang/inventory success',
      'ok/app start',
      'ok/app success',
    ]);
    assert.ok(!(r.stdout + r.stderr).includes('SECRETTOKEN'), 'no webhook URL in the output');
  });
});
