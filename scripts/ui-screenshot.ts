// The README's picture of `convoy ui` (docs/ui.png): a 10-host sandbox fleet with the example app deployed and one
// program stopped by hand, the dashboard opened in Debian's chromium (playwright-core), one screenshot, everything
// torn down. Run as root after `npm run build`: `npm run screenshot:ui` (addresses 127.0.38.1-10).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const convoyBin = path.join(root, 'bin', 'convoy.js');
const output = path.join(root, 'docs', 'ui.png');

function convoy(...args: string[]): string {
  const r = spawnSync(process.execPath, [convoyBin, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`convoy ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Starts `convoy ui` and resolves with its URL and a function that stops it. */
async function startUi(inventory: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [convoyBin, '-i', inventory, '--json', 'ui', 'sandbox'], { cwd: root });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 300 && !out.includes('"type":"ui"'); i++) await new Promise((r) => setTimeout(r, 100));
  const line = out.split('\n').find((l) => l.includes('"type":"ui"'));
  if (!line) throw new Error(`convoy ui printed no URL:\n${out}`);
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGINT') };
}

async function screenshot(url: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.locator('tr.program').nth(9).waitFor();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: output, fullPage: false });
  } finally {
    await browser.close();
  }
}

const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'convoy-ui-shot-')), 'sandbox');
const inventory = path.join(stateDir, 'sandbox.ini');
try {
  convoy('sandbox', 'up', '--hosts', '10', '--first-address', '127.0.38.1', '--state-dir', stateDir);
  convoy('-i', inventory, 'deploy', 'sandbox', 'hello');
  convoy('-i', inventory, 'stop', 'sandbox-3', 'hello:web');
  const ui = await startUi(inventory);
  try {
    await screenshot(ui.url);
  } finally {
    ui.stop();
  }
  console.log(`wrote ${path.relative(root, output)}`);
} finally {
  spawnSync(process.execPath, [convoyBin, 'sandbox', 'down', '--state-dir', stateDir], { cwd: root, stdio: 'ignore' });
  rmSync(path.dirname(stateDir), { recursive: true, force: true });
}
