// Fan-out benchmark (prints numbers; not a test; docs/deploy.md, "Fan-out on loopback, measured"): a deploy of a
// 20 MB artifact to N sandbox hosts, direct and with --fanout 2 and 4: wall time, and the bytes this machine's Convoy
// process wrote (/proc/self/io wchar: its SSH traffic, encrypted, plus its terminal output) next to the copies the
// run says it sent. Loopback, no shaping: every byte is free and the bound is CPU (ssh encryption on 2 cores shared
// by the whole fleet). Usage: node --import tsx scripts/bench-fanout.ts [--hosts 20] [--mb 20] [--runs 1]
// [--first-address 127.0.43.1]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    mb: { type: 'string', default: '20' },
    runs: { type: 'string', default: '1' },
    'first-address': { type: 'string', default: '127.0.43.1' },
  },
});
const hosts = Number(values.hosts);
const mb = Number(values.mb);
const runs = Number(values.runs);
const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin', 'convoy.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-fanout-'));
const stateDir = path.join(work, 'sandbox');

function convoy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', path.join(repo, 'scripts', 'io-at-exit.mjs'), bin, ...args], {
    cwd: work,
    env: { ...process.env, NO_COLOR: '1', HOME: work, SSH_AUTH_SOCK: '', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`convoy ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function setUp(): void {
  const inventory = path.join(work, 'fleet.ini');
  const address = values['first-address']!;
  convoy([
    'sandbox',
    'up',
    '--hosts',
    `${hosts}`,
    '--first-address',
    address,
    '--state-dir',
    stateDir,
    '--write-inventory',
    inventory,
  ]);
  mkdirSync(path.join(work, 'node_modules'));
  symlinkSync(repo, path.join(work, 'node_modules', 'convoy'));
  mkdirSync(path.join(work, 'tasks'));
  mkdirSync(path.join(work, 'build'));
  writeFileSync(
    path.join(work, 'tasks', 'fan.ts'),
    "import { defineApp } from 'convoy';\nexport default defineApp({ name: 'fan', root: '/srv/fan', artifact: 'build/fan.bin', programs: { fan: { command: '/bin/sleep 3600', startsecs: 1 } } });\n",
  );
}

interface Measure {
  label: string;
  seconds: number;
  wcharMB: number;
  direct: number;
  relayed: number;
}

function measure(label: string, extra: string[]): Measure {
  writeFileSync(path.join(work, 'build', 'fan.bin'), randomBytes(mb * 1024 * 1024));
  const ioFile = path.join(work, 'io.txt');
  const started = performance.now();
  const out = convoy(['-i', 'fleet.ini', '--json', 'deploy', 'all', 'fan', ...extra], { CONVOY_IO_FILE: ioFile });
  const seconds = (performance.now() - started) / 1000;
  const wchar = Number(/^wchar: (\d+)/m.exec(readFileSync(ioFile, 'utf8'))?.[1]);
  const uploads = out
    .split('\n')
    .filter((l) => l.includes('"fan: upload"'))
    .map((l) => (JSON.parse(l) as { detail?: string }).detail ?? '');
  const relayed = uploads.filter((d) => / from \S+$/.test(d)).length;
  return { label, seconds, wcharMB: wchar / 1e6, direct: uploads.length - relayed, relayed };
}

try {
  setUp();
  const rows: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    rows.push(
      measure('direct', []),
      measure('--fanout 2', ['--fanout', '2']),
      measure('--fanout 4', ['--fanout', '4']),
    );
  }
  console.log(
    `fan-out: ${hosts} hosts, ${mb} MB artifact, loopback, ${os.cpus().length} cores, Node.js ${process.version}`,
  );
  console.log('| run | wall (s) | controller wrote (MB) | copies from here | copies relayed |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.wcharMB.toFixed(0)} | ${r.direct} | ${r.relayed} |`);
  }
} finally {
  spawnSync(process.execPath, [bin, 'sandbox', 'down', '--state-dir', stateDir], { stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
