// `convoy ui` in a real browser (Debian's chromium driven by playwright-core) against three sandbox hosts: every
// program listed RUNNING with its release and last deploy; a program stopped by hand turns STOPPED within 5 s; a
// restart clicked in the page changes the PID, is recorded with the local user, and is refused while a deploy holds
// the lock; a log line written after the tail opened appears; requests without the token or from another origin
// are refused.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  integrationSkipReason,
  openssh,
  opensshAsync,
  spawnConvoy,
  startFleet,
  userProject,
} from './support/sandbox.ts';
import type { BackgroundConvoy, TestFleet } from './support/sandbox.ts';

const chromiumPath = '/usr/bin/chromium';

/** Why the browser tests cannot run here (CI installs chromium, so CI never skips). */
function browserSkipReason(): string | undefined {
  if (existsSync(chromiumPath) || process.env.CI) return undefined;
  return `needs Debian's chromium at ${chromiumPath} (apt-get install --no-install-recommends chromium)`;
}

const skip = integrationSkipReason() ?? browserSkipReason();

const webTask = `import { defineApp } from 'convoy';

export default defineApp({
  name: 'web',
  root: '/srv/web',
  artifact: 'build/web',
  programs: { web: { command: '/bin/sleep 3600', numprocs: 2, startsecs: 1 } },
  rolling: { batch: 2 },
});
`;

const record = JSON.stringify({
  v: 1,
  at: '2026-12-01T10:00:00.000Z',
  run: 'r1',
  action: 'deploy',
  outcome: 'verified',
  app: 'web',
  release: '20261201-100000',
  by: { login: 'root', user: 'alice', machine: 'laptop', pid: 1 },
});
const deployedByHand = [
  'mkdir -p /srv/web/releases/20261201-100000 /srv/web/.convoy',
  'ln -sfn releases/20261201-100000 /srv/web/current',
  `echo '${record}' > /srv/web/.convoy/deploys.jsonl`,
  "printf '[group:web]\\nprograms=web\\n[program:web]\\ncommand=/bin/sleep 3600\\nprocess_name=%%(program_name)s_%%(process_num)02d\\nnumprocs=2\\nstartsecs=1\\n' > /etc/supervisor/conf.d/web.conf",
  "printf '[program:other]\\ncommand=/bin/sleep 3600\\nstdout_logfile=/var/log/supervisor/other.log\\n' > /etc/supervisor/conf.d/other.conf",
  'supervisorctl update >/dev/null',
].join(' && ');

/** Waits until `check` holds (polling), or fails with what it last saw. */
async function until<T>(what: string, ms: number, read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await read();
  while (!check(last)) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

const cell = (page: Page, host: string, program: string, column: string) =>
  page.locator(`tr.program[data-host="${host}"][data-program="${program}"] td.${column}`);

describe('convoy ui in a browser', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  let ui: BackgroundConvoy;
  let url: URL;
  let browser: Browser;
  let page: Page;
  const on = (i: number, command: string) => openssh(fleet, fleet.addresses[i]!, command).stdout.trim();

  before(async () => {
    // The browser starts while the fleet comes up (it is most of the wait on a busy machine).
    const launching = import('playwright-core').then(({ chromium }) =>
      chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] }),
    );
    launching.catch(() => undefined);
    fleet = startFleet({ hosts: 3, firstAddress: '127.0.38.1' });
    project = userProject('ui');
    writeFileSync(path.join(project, 'tasks', 'web.ts'), webTask);
    const ini =
      `[defaults]\nuser = root\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:h${i + 1}]\naddress = ${a}\n`).join('\n') +
      '\n[group:web]\nhosts = h[1:3]\n';
    writeFileSync(path.join(project, 'inventory.ini'), ini);
    // As a deploy leaves a host (docs/remote-layout.md), written directly: a real deploy is deploy.test.ts's.
    const prepared = await Promise.all(fleet.addresses.map((a) => opensshAsync(fleet, a, deployedByHand)));
    for (const r of prepared) assert.equal(r.code, 0, r.stderr);
    const env = { HOME: project, SSH_AUTH_SOCK: '', CONVOY_USER: 'alice' };
    ui = spawnConvoy(['-i', 'inventory.ini', '--json', 'ui', 'web', '--interval', '1s'], { cwd: project, env });
    const said = await until(
      'the URL',
      20_000,
      async () => ui.stdout,
      (out) => out.includes('"type":"ui"'),
    );
    url = new URL((JSON.parse(said.split('\n').find((l) => l.includes('"type":"ui"'))!) as { url: string }).url);
    browser = await launching;
    page = await browser.newPage();
    await page.goto(url.href);
  });
  after(async () => {
    await browser?.close();
    ui?.child.kill('SIGINT');
    await ui?.closed;
    fleet?.down();
  });

  test('requests without the token get 401; an action from another origin or without the CSRF header is refused', async () => {
    const bare = `${url.origin}/`;
    assert.equal((await fetch(bare)).status, 401);
    assert.equal((await fetch(`${url.origin}/events?token=${'0'.repeat(64)}`)).status, 401);
    const token = url.searchParams.get('token')!;
    const cookie = `convoy_ui_${url.port}=${token}`;
    const csrf = createHmac('sha256', token).update('csrf').digest('hex');
    const body = JSON.stringify({ action: 'stop', host: 'h1', programs: ['other:other'] });
    const post = (headers: Record<string, string>) =>
      fetch(`${url.origin}/actions`, { method: 'POST', body, headers: { cookie, ...headers } });
    const crossOrigin = await post({ origin: 'http://evil.example', 'x-convoy-csrf': csrf });
    assert.equal(crossOrigin.status, 403);
    assert.match(await crossOrigin.text(), /Origin 'http:\/\/evil\.example' is not this server's/);
    assert.equal((await post({ origin: url.origin })).status, 403);
    // fetch() may not set Host: a request as a DNS-rebound page would send it, through node:http.
    const rebound = await new Promise<number | undefined>((resolve, reject) =>
      http
        .get(`${url.origin}/`, { headers: { cookie, host: `evil.example:${url.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject),
    );
    assert.equal(rebound, 403);
    assert.match(on(0, 'supervisorctl status other'), /RUNNING/);
  });

  test('the page lists every program RUNNING, with the release and the last deploy', async () => {
    const states = await until(
      'every program RUNNING',
      15_000,
      () => page.locator('tr.program td.state').allTextContents(),
      (s) => s.length === 9 && s.every((x) => x === 'RUNNING'),
    );
    assert.equal(states.length, 9);
    const release = await page.locator('tr.host[data-host="h2"][data-group="web"] td.release').textContent();
    assert.match(release ?? '', /release 20261201-100000 · last deploy verified by alice \(root\)/);
    assert.match((await cell(page, 'h3', 'web:web_01', 'pid').textContent()) ?? '', /^\d+$/);
  });

  test('the event stream carries no SSH key, known_hosts or inventory path', async () => {
    const controller = new AbortController();
    const cookie = `convoy_ui_${url.port}=${url.searchParams.get('token')}`;
    const r = await fetch(`${url.origin}/events`, { headers: { cookie }, signal: controller.signal });
    const reader = r.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    assert.match(text, /"host":"h1","reach":"ok"/);
    for (const secret of [fleet.keyFile, fleet.knownHosts, 'inventory.ini', 'PRIVATE KEY']) {
      assert.ok(!text.includes(secret), secret);
    }
  });

  test('a program stopped through supervisorctl on a host turns STOPPED within 5 s', async () => {
    on(1, 'supervisorctl stop other');
    const stoppedAt = Date.now();
    await until(
      'STOPPED',
      5000,
      () => cell(page, 'h2', 'other:other', 'state').textContent(),
      (s) => s === 'STOPPED',
    );
    console.log(`# STOPPED shown ${Date.now() - stoppedAt} ms after supervisorctl stop returned`);
  });

  test('the filter narrows the rows by text and by state', async () => {
    await page.locator('#filter').fill('h2');
    await until(
      'only h2',
      5000,
      () => page.locator('tr.program').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host'))),
      (h) => h.length === 3 && h.every((x) => x === 'h2'),
    );
    await page.locator('#filter').fill('');
    await page.locator('#state-filter').selectOption('STOPPED');
    await until(
      'only the STOPPED one',
      5000,
      () =>
        page
          .locator('tr.program')
          .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-host')} ${r.getAttribute('data-program')}`)),
      (h) => h.join() === 'h2 other:other',
    );
    await page.locator('#state-filter').selectOption('');
  });

  test('a restart clicked in the page changes the PID, the row returns to RUNNING, the record names the user', async () => {
    const pid = await cell(page, 'h1', 'web:web_00', 'pid').textContent();
    await page.locator('tr.program[data-host="h1"][data-program="web:web_00"] button[data-action="restart"]').click();
    assert.match((await page.locator('#confirm-text').textContent()) ?? '', /restart web:web_00 on h1\?/);
    await page.locator('#confirm-yes').click();
    const read = async () => [
      await cell(page, 'h1', 'web:web_00', 'pid').textContent(),
      await cell(page, 'h1', 'web:web_00', 'state').textContent(),
    ];
    await until('a new PID, RUNNING', 15_000, read, ([p, s]) => p !== pid && p !== '' && s === 'RUNNING');
    await until(
      'the action done',
      10_000,
      () => page.locator('#actions li.done').allTextContents(),
      (l) => l.length > 0,
    );
    const entry = JSON.parse(on(0, 'tail -n 1 /srv/web/.convoy/deploys.jsonl')) as {
      action: string;
      by: { user: string };
    };
    assert.equal(entry.action, 'restart');
    assert.equal(entry.by.user, 'alice');
    assert.equal(on(0, 'supervisorctl pid web:web_00'), await cell(page, 'h1', 'web:web_00', 'pid').textContent());
  });

  test('an action is refused with a clear message while a deploy holds the app lock', async () => {
    const owner = JSON.stringify({ token: 't', user: 'ci', machine: 'elsewhere', pid: 1, since: 'then', command: 'x' });
    const lock = `mkdir /srv/web/.convoy-lock && echo '${owner}' > /srv/web/.convoy-lock/owner`;
    const pid = on(2, `${lock} && supervisorctl pid web:web_01`);
    await page.locator('tr.host[data-host="h3"][data-group="web"] button[data-action="restart"]').click();
    await page.locator('#confirm-yes').click();
    const said = await until(
      'the refusal',
      10_000,
      () => page.locator('#actions li.failed').allTextContents(),
      (l) => l.length > 0,
    );
    assert.match(said.join('\n'), /restart web:\* on h3 \(alice\): failed: .*locked by ci@elsewhere/);
    assert.equal(on(2, 'rm -rf /srv/web/.convoy-lock && supervisorctl pid web:web_01'), pid);
  });

  test("a restart of a group on every host rolls in the app's batches; every PID changes, every record names the user", async () => {
    const pids = () => page.locator('tr.program[data-program^="web:"] td.pid').allTextContents();
    const before = await pids();
    await page.locator('tr.group[data-group="web"] button[data-action="restart"]').click();
    assert.match(
      (await page.locator('#confirm-text').textContent()) ?? '',
      /restart every program of web on every host/,
    );
    await page.locator('#confirm-yes').click();
    const said = await until(
      'the fleet-wide restart done',
      30_000,
      () => page.locator('#actions li.done').allTextContents(),
      (l) => l.some((x) => x.includes('on every host')),
    );
    assert.ok(
      said.some((x) => /^restart web:\* on every host \(alice\): done: h[12] ok, h[12] ok, h3 ok$/.test(x)),
      said.join('\n'),
    );
    const after = await until('new PIDs', 10_000, pids, (p) => p.every((pid, i) => pid !== '' && pid !== before[i]));
    assert.equal(after.length, 6);
    const record = on(2, 'tail -n 1 /srv/web/.convoy/deploys.jsonl');
    assert.match(record, /"action":"restart".*"user":"alice"/);
  });

  test('a log line written on the host after the tail opened appears, prefixed with its host', async () => {
    await page.locator('tr.program[data-host="h3"][data-program="other:other"] button[data-log="stdout"]').click();
    await page.waitForTimeout(1000);
    on(2, 'echo "written after the tail opened" >> /var/log/supervisor/other.log');
    const lines = await until(
      'the line',
      5000,
      () => page.locator('#log-lines div').allTextContents(),
      (l) => l.some((x) => x.includes('written after')),
    );
    assert.ok(lines.includes('h3 other:other | written after the tail opened'), lines.join('\n'));
  });

  test("a group's log on every host: lines interleaved, prefixed with their host", async () => {
    await page.locator('tr.group[data-group="other"] button[data-log="stdout"]').click();
    await page.waitForTimeout(1000);
    on(0, 'echo "from the first host" >> /var/log/supervisor/other.log');
    on(1, 'echo "from the second host" >> /var/log/supervisor/other.log');
    const lines = await until(
      'both lines',
      5000,
      () => page.locator('#log-lines div').allTextContents(),
      (l) => l.filter((x) => x.includes(' host')).length >= 2,
    );
    assert.ok(lines.includes('h1 other:other | from the first host'), lines.join('\n'));
    assert.ok(lines.includes('h2 other:other | from the second host'), lines.join('\n'));
  });

  test('a line with bytes that are not UTF-8 shows, each such byte as \\xNN, and the tail goes on', async () => {
    await page.locator('tr.program[data-host="h1"][data-program="other:other"] button[data-log="stdout"]').click();
    await page.waitForTimeout(1000);
    on(0, "printf 'bad \\377\\376 bytes\\nand after\\n' >> /var/log/supervisor/other.log");
    const lines = await until(
      'the line after',
      10_000,
      () => page.locator('#log-lines div').allTextContents(),
      (l) => l.some((x) => x.includes('and after')),
    );
    assert.ok(lines.includes('h1 other:other | bad \\xff\\xfe bytes'), lines.join('\n'));
    assert.equal(await page.locator('#log-lines div.notice').count(), 0);
  });

  test('a supervisord that takes calls and never answers (SIGSTOP) is a row saying so; the other hosts go on', async () => {
    // Its PID as it recorded it on its host (the sandbox's pidfile): only that process is stopped, and continued.
    const pidfile = 'kill -%s "$(cat /var/run/supervisord.pid)"';
    on(1, pidfile.replace('%s', 'STOP'));
    try {
      const row = page.locator('tr.unanswered[data-host="h2"] td.state');
      await until(
        'SUPERVISORD NOT ANSWERING',
        20_000,
        () => row.textContent(),
        (s) => s === 'SUPERVISORD NOT ANSWERING',
      );
      const said = await page.locator('tr.unanswered[data-host="h2"] td.info').textContent();
      assert.match(said ?? '', /did not answer supervisor\.getAllProcessInfo within 5s \(convoy ui's poll timeout\)/);
      on(0, 'supervisorctl stop other');
      await until(
        'h1 still updated',
        10_000,
        () => cell(page, 'h1', 'other:other', 'state').textContent(),
        (s) => s === 'STOPPED',
      );
    } finally {
      on(1, pidfile.replace('%s', 'CONT'));
      on(0, 'supervisorctl start other');
    }
    await until(
      'h2 back',
      20_000,
      () => page.locator('tr.program[data-host="h2"]').count(),
      (n) => n === 3,
    );
  });

  test('a host whose supervisord is down is a row, not an error', async () => {
    on(2, 'supervisorctl shutdown');
    const row = page.locator('tr.unanswered[data-host="h3"] td.state');
    await until(
      'SUPERVISORD DOWN',
      10_000,
      () => row.textContent(),
      (s) => s === 'SUPERVISORD DOWN',
    );
    assert.equal(await page.locator('tr.program[data-host="h3"]').count(), 0);
    assert.equal(await page.locator('tr.program[data-host="h1"]').count(), 3);
  });
});
