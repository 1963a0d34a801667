// Benchmark of delta uploads (prints numbers; not a test; docs/deploy.md, "Delta uploads"): a directory artifact of
// 20 MB in 500 files on a sandbox fleet. Cold deploys through the store against today's whole-tar path (the same
// tree as a `.tar` artifact: one upload, `tar -xf`), alternating, each on empty app roots; then one file changed.
// Usage: npm run build && node --import tsx scripts/bench-delta.ts [--hosts 10] [--runs 3] [--first-address 127.0.44.11]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    files: { type: 'string', default: '500' },
    mb: { type: 'string', default: '20' },
    'first-address': { type: 'string', default: '127.0.44.11' },
  },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const files = Number(values.files);
const fileBytes = Math.floor((Number(values.mb) * 1e6) / files);
const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin', 'convoy.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-delta-'));
const stateDir = path.join(work, 'sandbox');
const project = path.join(work, 'project');

function cli(args: string[], cwd = project): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HOME: project, SSH_AUTH_SOCK: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const task = (name: string, artifact: string) => `import { defineApp } from 'convoy';
export default defineApp({
  name: '${name}',
  root: '/srv/${name}',
  artifact: '${artifact}',
  programs: { ['${name}-run']: { command: '/bin/sleep 3600', startsecs: 1 } },
});
`;

function setUp(): void {
  const up = cli(
    ['sandbox', 'up', '--hosts', String(hosts), '--first-address', values['first-address']!, '--state-dir', stateDir],
    repo,
  );
  if (up.code !== 0) throw new Error(`sandbox up: ${up.stdout}${up.stderr}`);
  mkdirSync(path.join(project, 'tasks'), { recursive: true });
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(repo, path.join(project, 'node_modules', 'convoy'));
  writeFileSync(path.join(project, 'tasks', 'bdelta.ts'), task('bdelta', 'build/tree'));
  writeFileSync(path.join(project, 'tasks', 'btar.ts'), task('btar', 'build/tree.tar'));
  const tree = path.join(project, 'build', 'tree');
  for (let i = 0; i < files; i++) {
    const dir = path.join(tree, `d${i % 10}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.bin`), randomBytes(fileBytes));
  }
  spawnSync('tar', ['-cf', path.join(project, 'build', 'tree.tar'), '-C', tree, '.']);
  const [a, b, c, d] = values['first-address']!.split('.').map(Number) as [number, number, number, number];
  const lines = [`[defaults]\nuser = root\nidentity = ${stateDir}/id_ed25519\nknown_hosts = ${stateDir}/known_hosts\n`];
  for (let i = 0; i < hosts; i++) lines.push(`[host:b${i + 1}]\naddress = ${a}.${b}.${c}.${d + i}\n`);
  writeFileSync(path.join(project, 'fleet.ini'), lines.join('\n'));
}

interface Deployed {
  seconds: number;
  uploaded: number[];
}

function deploy(app: string): Deployed {
  const t0 = performance.now();
  const r = cli(['-i', 'fleet.ini', '--json', 'deploy', 'all', app]);
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`deploy ${app}: ${r.stdout.slice(-2000)}${r.stderr}`);
  const results = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; uploadedBytes?: number })
    .filter((x) => x.type === 'result');
  return { seconds, uploaded: results.map((x) => x.uploadedBytes ?? 0) };
}

function purge(app: string): void {
  const r = cli(['-i', 'fleet.ini', 'remove', 'all', app, '--purge']);
  if (r.code !== 0) throw new Error(`remove ${app}: ${r.stdout}${r.stderr}`);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

function main(): void {
  setUp();
  const times: Record<'delta' | 'tar', number[]> = { delta: [], tar: [] };
  for (let run = 0; run < runs; run++) {
    // Alternating which goes first, each on empty roots.
    const order = run % 2 === 0 ? (['tar', 'delta'] as const) : (['delta', 'tar'] as const);
    for (const kind of order) {
      const app = kind === 'delta' ? 'bdelta' : 'btar';
      if (run > 0) purge(app);
      const d = deploy(app);
      times[kind].push(d.seconds);
      console.log(`cold ${kind} run ${run + 1}: ${d.seconds.toFixed(2)} s, sent per host ${median(d.uploaded)} B`);
    }
  }
  const tree = files * fileBytes;
  writeFileSync(path.join(project, 'build', 'tree', 'd3', 'f3.bin'), randomBytes(fileBytes));
  const one = deploy('bdelta');
  const most = Math.max(...one.uploaded);
  console.log(`\n${hosts} hosts, ${files} files, ${(tree / 1e6).toFixed(1)} MB tree`);
  console.log(
    `cold deploy, median of ${runs}: whole tar ${median(times.tar).toFixed(2)} s, delta ${median(times.delta).toFixed(2)} s`,
  );
  console.log(
    `one file changed: ${one.seconds.toFixed(2)} s; sent per host at most ${most} B = ${((100 * most) / tree).toFixed(2)} % of the tree (file ${fileBytes} B)`,
  );
}

try {
  main();
} finally {
  cli(['sandbox', 'down', '--state-dir', stateDir], repo);
  rmSync(work, { recursive: true, force: true });
}
