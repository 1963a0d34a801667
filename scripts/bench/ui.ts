// `convoy ui` at scale (prints numbers; not a test): a sandbox fleet with N programs per host, `convoy ui` on it and
// the page open in Debian's chromium; over a window it prints the controller's CPU (% of one core, from
// /proc/<pid>/stat utime+stime) and peak RSS (VmHWM), and how fast the page shows a program stopped by hand on a host.
// Usage: npm run bench:ui -- [--hosts 200] [--programs 10] [--seconds 60] [--interval 2s]
//   [--first-address 127.0.40.1] [--state-dir DIR: reuse a fleet already up there, kept] [--cpu-prof DIR]
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '200' },
    programs: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    interval: { type: 'string', default: '2s' },
    'first-address': { type: 'string', default: '127.0.40.1' },
    'state-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const hosts = Number(values.hosts);
const programs = Number(values.programs);
const windowSeconds = Number(values.seconds);
if (![hosts, programs, windowSeconds].every((n) => Number.isInteger(n) && n > 0) || hosts > 250) {
  console.error('bench:ui: --hosts (1–250), --programs and --seconds take whole numbers above 0');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..', '..');
const convoyBin = path.join(root, 'bin', 'convoy.js');
const reused = values['state-dir'] !== undefined && existsSync(path.join(values['state-dir'], 'sandbox.ini'));
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-ui-'));
const stateDir = values['state-dir'] ?? path.join(work, 'sandbox');
const inventory = path.join(stateDir, 'sandbox.ini');
const env = { ...process.env, NO_COLOR: '1', HOME: work, SSH_AUTH_SOCK: '' };
const log = (text: string) => process.stderr.write(`bench:ui: ${text}\n`);

function convoy(args: string[]): string {
  const r = spawnSync(process.execPath, [convoyBin, ...args], { encoding: 'utf8', env, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`convoy ${args.join(' ')} exited ${r.status}:\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

/** Runs a command on one host with plain OpenSSH (strict host keys against the fleet's known_hosts). */
function onHost(address: string, command: string): Promise<void> {
  const args = ['-i', path.join(stateDir, 'id_ed25519'), '-o', `UserKnownHostsFile=${stateDir}/known_hosts`];
  args.push('-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-F', '/dev/null', `root@${address}`, command);
  return new Promise((resolve, reject) =>
    execFile('ssh', args, { timeout: 60_000 }, (error) => (error ? reject(error) : resolve())),
  );
}

/** The fleet, each host with `programs` programs (`app:app_00` …) under supervisord. */
function bringUp(): void {
  log(`bringing up ${hosts} sandbox hosts in ${stateDir}`);
  const first = values['first-address'];
  convoy(['sandbox', 'up', '--hosts', String(hosts), '--first-address', first, '--state-dir', stateDir]);
  const conf =
    `[program:app]\\ncommand=/bin/sleep 36000\\nprocess_name=%%(program_name)s_%%(process_num)02d\\n` +
    `numprocs=${programs}\\nstartsecs=0\\n`;
  const line = `printf '${conf}' > /etc/supervisor/conf.d/app.conf && supervisorctl update >/dev/null`;
  // A few hosts at a time and a long handshake timeout: 200 fresh hosts starting their programs load the machine.
  convoy(['-i', inventory, '-c', '20', '--timeout', '60s', 'exec', 'all', line]);
}

/** `convoy ui` on the fleet, and its URL. */
async function startUi(): Promise<{ child: ChildProcess; url: string }> {
  const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const args = [...prof, '--max-semi-space-size=4', convoyBin, '-i', inventory, '--json', 'ui', 'all'];
  const child = spawn(process.execPath, [...args, '--interval', values.interval], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 600 && !out.includes('"type":"ui"'); i++) await new Promise((r) => setTimeout(r, 100));
  const line = out.split('\n').find((l) => l.includes('"type":"ui"'));
  if (!line) throw new Error(`convoy ui printed no URL:\n${out}`);
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

/** CPU time (ms, user + system) and peak RSS (MB) of a process, from /proc. */
function usageOf(pid: number): { cpuMs: number; peakRssMb: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuMs: ticks * 10, peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

const programRows = (page: Page) => page.locator('tr.program');

/** Waits until the page shows a row for every program of every host; how long that took. */
async function firstFullPage(page: Page): Promise<number> {
  const started = Date.now();
  const expected = hosts * programs;
  for (;;) {
    const shown = await programRows(page).count();
    if (shown === expected) return Date.now() - started;
    if (Date.now() - started > 300_000) throw new Error(`only ${shown} of ${expected} program rows after 5 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Stops one program by hand on a host and times until its row says STOPPED (then starts it again): by the page's own
 * clock when the cell changed (a MutationObserver, same machine clock), not when the harness next looked.
 */
async function stopShown(page: Page, index: number): Promise<number> {
  const host = `sandbox-${1 + ((index * 37) % hosts)}`;
  const address = hostAddress(host);
  const program = `app:app_${String(index % programs).padStart(2, '0')}`;
  const selector = `tr.program[data-host="${host}"][data-program="${program}"] td.state`;
  await page.evaluate(`window.stoppedAt = undefined;
    window.stopWatch?.disconnect();
    window.stopWatch = new MutationObserver(() => {
      if (window.stoppedAt === undefined && document.querySelector(${JSON.stringify(selector)})?.textContent === 'STOPPED')
        window.stoppedAt = Date.now();
    });
    window.stopWatch.observe(document.getElementById('fleet'), { subtree: true, childList: true, characterData: true });`);
  await onHost(address, `supervisorctl stop ${program} >/dev/null`);
  const stopped = Date.now();
  try {
    for (;;) {
      const at = (await page.evaluate('window.stoppedAt')) as number | undefined;
      if (at !== undefined) return Math.max(0, at - stopped);
      if (Date.now() - stopped > 60_000) throw new Error(`${host} ${program}: not STOPPED on the page within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await onHost(address, `supervisorctl start ${program} >/dev/null`);
  }
}

function hostAddress(host: string): string {
  const text = readFileSync(inventory, 'utf8');
  const match = new RegExp(`\\[host:${host}\\]\\naddress = (\\S+)`).exec(text);
  if (!match?.[1]) throw new Error(`no address for ${host} in ${inventory}`);
  return match[1];
}

/** Page-side cost: the main thread's long tasks (over 50 ms) while the window runs (scripts run in the page). */
async function watchLongTasks(page: Page): Promise<() => Promise<{ count: number; ms: number }>> {
  await page.evaluate(`window.longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); })
      .observe({ type: 'longtask' });`);
  return () =>
    page.evaluate(`({ count: window.longTasks.length, ms: window.longTasks.reduce((a, b) => a + b, 0) })`) as Promise<{
      count: number;
      ms: number;
    }>;
}

interface Figures {
  renderMs: number;
  cpuPercent: number;
  peakRssMb: number;
  rssMb: number;
  stops: number[];
  longTasks: { count: number; ms: number };
}

/** The measured window: CPU over `windowSeconds`, a hand stop every 10 s timed on the page. */
async function measure(page: Page, pid: number): Promise<Figures> {
  const renderMs = await firstFullPage(page);
  // The window starts once every host is connected and polled a few times: the handshakes are not the steady state.
  log(`every program on the page after ${renderMs} ms; settling 15 s, then measuring ${windowSeconds} s`);
  await new Promise((r) => setTimeout(r, 15_000));
  const longTasks = await watchLongTasks(page);
  const before = usageOf(pid);
  const started = Date.now();
  const stops: number[] = [];
  for (let i = 0; Date.now() - started < windowSeconds * 1000; i++) {
    const next = started + (i + 1) * 10_000;
    if (next - started <= windowSeconds * 1000) {
      stops.push(await stopShown(page, i));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(next, started + windowSeconds * 1000) - Date.now())));
  }
  const after = usageOf(pid);
  const wallMs = Date.now() - started;
  const cpuPercent = ((after.cpuMs - before.cpuMs) / wallMs) * 100;
  return { renderMs, cpuPercent, peakRssMb: after.peakRssMb, rssMb: after.rssMb, stops, longTasks: await longTasks() };
}

function report(f: Figures): void {
  const sorted = [...f.stops].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const cores = os.cpus().length;
  console.log(
    `convoy ui benchmark: ${hosts} hosts x ${programs} programs, interval ${values.interval}, ${windowSeconds} s window,`,
  );
  console.log(
    `  ${cores} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg()[0]?.toFixed(1)}, Node.js ${process.version}`,
  );
  console.log(`first full page (a row for every program): ${(f.renderMs / 1000).toFixed(1)} s after the page opened`);
  console.log(
    `controller CPU: ${f.cpuPercent.toFixed(1)}% of one core; RSS ${f.rssMb.toFixed(0)} MB, peak ${f.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `supervisorctl stop -> STOPPED on the page: median ${median} ms, max ${sorted.at(-1) ?? NaN} ms (${sorted.length} stops)`,
  );
  console.log(`page long tasks (>50 ms) in the window: ${f.longTasks.count}, ${f.longTasks.ms.toFixed(0)} ms in all`);
}

async function main(): Promise<void> {
  if (!reused) bringUp();
  const ui = await startUi();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(ui.url);
    await programRows(page).first().waitFor({ timeout: 120_000 });
    report(await measure(page, ui.child.pid ?? 0));
  } finally {
    await browser.close();
    ui.child.kill('SIGINT');
    await new Promise((r) => ui.child.once('close', r));
  }
}

try {
  await main();
} finally {
  if (!reused && values['state-dir'] === undefined) {
    spawnSync(process.execPath, [convoyBin, 'sandbox', 'down', '--state-dir', stateDir], { stdio: 'ignore' });
  }
  rmSync(work, { recursive: true, force: true });
}
