// Benchmark (prints numbers; not a test): Convoy vs plain OpenSSH on a sandbox fleet of this machine.
// Usage: npm run bench -- [--hosts 50] [--runs 5]
// Each figure is the median wall time over the runs, measured in the same run on the same hosts.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '50' }, runs: { type: 'string', default: '5' } } });
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, '..');
const convoyBin = path.join(root, 'bin', 'convoy.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-'));
const stateDir = path.join(work, 'sandbox');

function convoy(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [convoyBin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HOME: work, SSH_AUTH_SOCK: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', HOME: work, SSH_AUTH_SOCK: '' } });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const upStarted = performance.now();
const up = convoy(['sandbox', 'up', '--hosts', String(hosts), '--first-address', '127.0.9.1', '--state-dir', stateDir, '--json']);
if (up.code !== 0) {
  console.error(up.stderr);
  process.exit(1);
}
const upMs = performance.now() - upStarted;
const state = JSON.parse(up.stdout) as { inventoryFile: string; clientKeyFile: string; knownHostsFile: string; hosts: { address: string }[] };
const addresses = state.hosts.map((h) => h.address);
const sshArgs = (address: string) => ['-F', '/dev/null', '-i', state.clientKeyFile, '-o', `UserKnownHostsFile=${state.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${address}`, 'true'];

try {
  const status = convoy(['sandbox', 'status', '--state-dir', stateDir, '--json']);
  const memory = (JSON.parse(status.stdout) as { hosts: { memoryKb: number }[] }).hosts.map((h) => h.memoryKb);
  // Each case: a Convoy command against its baseline, alternated run by run so both see the same machine state.
  const cases = [
    {
      name: 'exec true',
      convoy: ['-i', state.inventoryFile, 'exec', 'all', '--', 'true'],
      baselineName: `${hosts} parallel ssh`,
      remote: 'true',
    },
    {
      name: 'status',
      convoy: ['-i', state.inventoryFile, 'status', 'all'],
      baselineName: `${hosts} parallel ssh supervisorctl status`,
      remote: 'supervisorctl status',
    },
  ];
  const results: { name: string; baselineName: string; convoyMs: number; baselineMs: number }[] = [];
  for (const c of cases) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const convoyMs = await timed(async () => {
        const code = await run(process.execPath, [convoyBin, ...c.convoy]);
        if (code !== 0 && code !== 3) throw new Error(`convoy ${c.convoy.slice(2).join(' ')} exited ${code}`);
      });
      const baselineMs = await timed(async () => {
        const codes = await Promise.all(addresses.map((a) => run('ssh', [...sshArgs(a).slice(0, -1), c.remote])));
        if (codes.some((code) => code !== 0 && code !== 3)) throw new Error(`ssh failed on ${codes.filter((code) => code !== 0).length} hosts`);
      });
      if (i === 0) continue; // warm-up: page cache, sshd re-exec binaries
      ours.push(convoyMs);
      theirs.push(baselineMs);
    }
    results.push({ name: c.name, baselineName: c.baselineName, convoyMs: median(ours), baselineMs: median(theirs) });
  }
  // Deploy of a 20 MB artifact: cold (a new release everywhere), then unchanged (nothing uploaded or restarted).
  const project = path.join(work, 'project');
  mkdirSync(path.join(project, 'tasks'), { recursive: true });
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, path.join(project, 'node_modules', 'convoy'));
  const artifact = path.join(project, 'build', 'bench');
  mkdirSync(artifact, { recursive: true });
  writeFileSync(path.join(artifact, 'payload.bin'), randomBytes(20 * 1024 * 1024));
  writeFileSync(path.join(project, 'tasks', 'bench.ts'), `import { defineApp } from 'convoy';
export default defineApp({ name: 'bench', root: '/srv/bench', artifact: 'build/bench', keepReleases: 2,
  programs: { idle: { command: '/bin/sleep 3600', startsecs: 1 } } });
`);
  const deployRuns = { cold: [] as number[], unchanged: [] as number[] };
  for (let i = 0; i < Math.max(2, Math.min(runs, 3)); i++) {
    writeFileSync(path.join(artifact, 'VERSION'), `${i}\n`);
    for (const kind of ['cold', 'unchanged'] as const) {
      const ms = await timed(async () => {
        const code = await new Promise<number>((resolve) => {
          const child = spawn(process.execPath, [convoyBin, '-i', state.inventoryFile, 'deploy', 'all', 'bench'], { cwd: project, stdio: 'ignore', env: { ...process.env, HOME: work, SSH_AUTH_SOCK: '' } });
          child.on('close', (c) => resolve(c ?? 1));
        });
        if (code !== 0) throw new Error(`convoy deploy (${kind}) exited ${code}`);
      });
      deployRuns[kind].push(ms);
    }
  }
  // A rolling restart of the deployed app, 25% of the hosts per batch (each batch health-gated: RUNNING past
  // startsecs, then the same PIDs a second later).
  const rollingMs = await timed(async () => {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [convoyBin, '-i', state.inventoryFile, 'restart', 'all', 'bench', '--rolling', '25%'], { cwd: project, stdio: 'ignore', env: { ...process.env, HOME: work, SSH_AUTH_SOCK: '' } });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new Error(`convoy restart --rolling exited ${code}`);
  });
  const downStarted = performance.now();
  convoy(['sandbox', 'down', '--state-dir', stateDir]);
  const downMs = performance.now() - downStarted;

  console.log(`Convoy benchmark: ${hosts} sandbox hosts, ${runs} runs (median), ${os.cpus().length} cores, node ${process.version}`);
  console.log('');
  console.log(`  sandbox up ${hosts} hosts: ${(upMs / 1000).toFixed(2)} s, down: ${(downMs / 1000).toFixed(2)} s, memory per host (PSS): ${(median(memory) / 1024).toFixed(1)} MB`);
  console.log('');
  const rows = results.map((r) => [r.name, `${r.convoyMs.toFixed(0)} ms`, r.baselineName, `${r.baselineMs.toFixed(0)} ms`, `${(r.baselineMs / r.convoyMs).toFixed(2)}x`]);
  const header = ['case', 'convoy', 'baseline', 'baseline time', 'convoy faster by'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log('  ' + row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log('');
  console.log(`  deploy of a 20 MB artifact to ${hosts} hosts: cold ${(median(deployRuns.cold) / 1000).toFixed(2)} s (${((20 * hosts) / (median(deployRuns.cold) / 1000)).toFixed(0)} MB/s uploaded), unchanged ${(median(deployRuns.unchanged) / 1000).toFixed(2)} s`);
  console.log(`  rolling restart of the app on ${hosts} hosts, batches of 25%: ${(rollingMs / 1000).toFixed(2)} s (4 health-gated batches)`);
} finally {
  convoy(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
