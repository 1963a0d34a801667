// Benchmark (prints numbers; not a test): Convoy vs plain OpenSSH on a sandbox fleet of this machine.
// Usage: npm run bench -- [--hosts 50] [--runs 5]
// Each figure is the median wall time over the runs, measured in the same run on the same hosts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  const figures = { convoy: [] as number[], openssh: [] as number[] };
  for (let i = 0; i < runs + 1; i++) {
    const convoyMs = await timed(async () => {
      const code = await run(process.execPath, [convoyBin, '-i', state.inventoryFile, 'exec', 'all', '--', 'true']);
      if (code !== 0) throw new Error(`convoy exec exited ${code}`);
    });
    const opensshMs = await timed(async () => {
      const codes = await Promise.all(addresses.map((a) => run('ssh', sshArgs(a))));
      if (codes.some((c) => c !== 0)) throw new Error(`ssh failed on ${codes.filter((c) => c !== 0).length} hosts`);
    });
    if (i === 0) continue; // warm-up: page cache, sshd re-exec binaries
    figures.convoy.push(convoyMs);
    figures.openssh.push(opensshMs);
  }
  const downStarted = performance.now();
  convoy(['sandbox', 'down', '--state-dir', stateDir]);
  const downMs = performance.now() - downStarted;

  const c = median(figures.convoy);
  const o = median(figures.openssh);
  console.log(`Convoy benchmark: ${hosts} sandbox hosts, ${runs} runs (median), ${os.cpus().length} cores, node ${process.version}`);
  console.log('');
  console.log(`  sandbox up                        ${(upMs / 1000).toFixed(2)} s`);
  console.log(`  sandbox down                      ${(downMs / 1000).toFixed(2)} s`);
  console.log(`  memory per host (PSS)             ${(median(memory) / 1024).toFixed(1)} MB`);
  console.log(`  exec true, convoy (one process)   ${c.toFixed(0)} ms`);
  console.log(`  exec true, ${hosts} parallel ssh        ${o.toFixed(0)} ms`);
  console.log(`  ratio (ssh / convoy)              ${(o / c).toFixed(2)}x`);
} finally {
  convoy(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
