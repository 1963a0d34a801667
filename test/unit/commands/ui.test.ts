// `convoy ui` end to end on this machine, with a host nothing answers on: the URL (JSON), 401 without the token, the
// host as an UNREACHABLE view, the warning for a non-loopback address, exit 130 after Ctrl-C; the --open page.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isLoopback, uiCommand, writeOpenerPage } from '../../../src/commands/ui.ts';
import type { JsonRecord, Output } from '../../../src/output/output.ts';

async function eventsUntil(url: string, cookie: string, wanted: RegExp): Promise<string> {
  const controller = new AbortController();
  const r = await fetch(url, { headers: { cookie }, signal: controller.signal });
  const reader = r.body!.getReader();
  let text = '';
  while (!wanted.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  return text;
}

test(
  'convoy ui: JSON URL, 401 without the token, an unreachable host as a view, the --listen warning, exit 130',
  { timeout: 30_000 },
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-ui-cmd-'));
    writeFileSync(path.join(dir, 'inv.ini'), '[host:h1]\naddress = 127.0.38.19\nport = 1\nuser = root\n');
    const records: JsonRecord[] = [];
    const warnings: string[] = [];
    let stop = () => {};
    let stopped = false;
    const interruption = {
      promise: new Promise<void>((resolve) => (stop = resolve)),
      requested: () => stopped,
      exitCode: () => 130,
    };
    const output: Output = {
      jsonMode: true,
      color: false,
      line: () => undefined,
      record: (r) => records.push(r),
      warn: (t) => warnings.push(t),
    };
    const running = uiCommand({
      globals: { inventory: 'inv.ini', tasks: 'tasks', json: true, color: false, timeout: 2000 },
      cwd: dir,
      env: { HOME: dir },
      target: 'all',
      output,
      listen: '0.0.0.0',
      port: 0,
      intervalMs: 500,
      open: false,
      interruption,
    });
    // Stopped whatever happens, so that a failed assertion does not leave the server running.
    t.after(() => {
      stopped = true;
      stop();
    });
    while (records.length === 0) await new Promise((r) => setTimeout(r, 20));
    const ui = records[0] as { type: string; url: string; port: number; hosts: number };
    assert.equal(ui.type, 'ui');
    assert.equal(ui.hosts, 1);
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    assert.deepEqual(warnings, [
      "convoy ui: listening on 0.0.0.0: whoever reaches it with the URL's token drives the fleet",
    ]);
    const url = new URL(ui.url);
    assert.equal((await fetch(`${url.origin}/`)).status, 401);
    const cookie = `convoy_ui_${url.port}=${url.searchParams.get('token')}`;
    const text = await eventsUntil(`${url.origin}/events`, cookie, /"reach":"unreachable"/);
    assert.match(text, /\{"host":"h1","reach":"unreachable","error":"root@h1 \(127\.0\.38\.19:1\): [^"]+"/);
    stopped = true;
    stop();
    assert.equal(await running, 130);
  },
);

test('isLoopback: 127.0.0.0/8, ::1 and localhost', () => {
  assert.deepEqual(['127.0.0.1', '127.0.38.4', '::1', 'localhost', '0.0.0.0', '10.0.0.1', '::'].map(isLoopback), [
    true,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
});

test('--open: a page of the user alone that sends the browser to the URL, removed afterwards', () => {
  const page = writeOpenerPage('http://127.0.0.1:1/?token=abc');
  assert.equal(statSync(page.file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(page.file)).mode & 0o777, 0o700);
  assert.match(
    readFileSync(page.file, 'utf8'),
    /<meta http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:1\/\?token=abc">/,
  );
  page.remove();
  assert.equal(existsSync(page.file), false);
});
