// Round trips and the time they cost (prints numbers; not a test): on a sandbox fleet, the connect floor, status, an
// unchanged deploy with new connections and through a warm --persist process, each with its round trips per host
// (CONVOY_COUNT_ROUND_TRIPS=1), a cold deploy, plan, and a rolling restart's overhead per batch above its gates.
// Usage: node --import tsx scripts/bench/round-trips.ts [--hosts 50] [--first-address 127.0.46.1] [--runs 3]
//        [--artifact-mb 20] [--state-dir DIR] [--keep]   (an existing sandbox in --state-dir is reused; --keep leaves it up)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { persistSocketPath } from '../../src/host/fleet.ts';
import { parseRoundTripLines } from '../../src/host/round-trips.ts';
import type { RoundTrips } from '../../src/host/round-trips.ts';
import { connectFloorMs } from './floor.ts';
import { median, seconds } from './measure.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    'first-address': { type: 'string', default: '127.0.46.1' },
    runs: { type: 'string', default: '3' },
    'state-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'artifact-mb': { type: 'string', default: '20' },
  },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, '..', '..');
const convoyBin = path.join(root, 'bin', 'convoy.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-trips-'));
const stateDir = values['state-dir'] ?? path.join(work, 'sandbox');

interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  peakMb: number;
}

/** One Convoy run, timed, with its peak RSS (GNU time's %M) and its output. */
function convoy(args: string[], cwd = work, env: NodeJS.ProcessEnv = {}): Timed {
  const started = performance.now();
  // A long --timeout: on a shared 2-core machine a handshake can wait longer than the default 10 s.
  const timeout = args[0] === 'sandbox' ? [] : ['--timeout', '120s'];
  const r = spawnSync('/usr/bin/time', ['-f', 'peak-kb=%M', process.execPath, convoyBin, ...timeout, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, HOME: work, SSH_AUTH_SOCK: '', CONVOY_COUNT_ROUND_TRIPS: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const peakKb = Number(/peak-kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ms, code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, peakMb: peakKb / 1024 };
}

function mustPass(label: string, r: Timed, ok: readonly number[] = [0]): Timed {
  if (!ok.includes(r.code))
    throw new Error(`${label}: exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r;
}

/** The most round trips any host took, by kind (hosts differ only when a gate polls longer). */
function mostTrips(r: Timed): string {
  const counts = [...parseRoundTripLines(r.stderr).values()];
  const most = (k: keyof RoundTrips) => Math.max(0, ...counts.map((c) => c[k]));
  return `exec ${most('exec')}, rpc ${most('rpc')}, files ${most('files')} (${counts.length} hosts)`;
}

const rows: string[][] = [];
const peaks: number[] = [];
function row(label: string, results: Timed[]): void {
  peaks.push(...results.map((r) => r.peakMb));
  rows.push([label, seconds(median(results.map((r) => r.ms))), mostTrips(results.at(-1)!)]);
  // Said as it is measured too: a run that fails later keeps what was measured before it.
  process.stderr.write(`bench: ${rows.at(-1)!.join('  ')}\n`);
}

function repeat(label: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Timed[] {
  return Array.from({ length: runs }, () => mustPass(label, convoy(args, cwd, env)));
}

function bringUp(): string {
  const inventory = path.join(stateDir, 'sandbox.ini');
  if (existsSync(inventory)) return inventory;
  const up = [
    'sandbox',
    'up',
    '--hosts',
    String(hosts),
    '--first-address',
    values['first-address'],
    '--state-dir',
    stateDir,
  ];
  mustPass('sandbox up', convoy(up));
  return inventory;
}

function makeProject(): string {
  const project = path.join(work, 'project');
  mkdirSync(path.join(project, 'tasks'), { recursive: true });
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, path.join(project, 'node_modules', 'convoy'));
  mkdirSync(path.join(project, 'build', 'trips'), { recursive: true });
  writeFileSync(
    path.join(project, 'build', 'trips', 'payload.bin'),
    randomBytes(Number(values['artifact-mb']) * 1024 * 1024),
  );
  writeFileSync(
    path.join(project, 'tasks', 'trips.ts'),
    `import { defineApp } from 'convoy';
export default defineApp({ name: 'trips', root: '/srv/trips', artifact: 'build/trips', keepReleases: 2,
  programs: { trips: { command: '/bin/sleep 3600', startsecs: 1 } } });
`,
  );
  return project;
}

/**
 * A rolling restart's time per batch above its gates: restarts of the same hosts in B batches and in one cost the
 * same connect, lock and read, so (T(B) - T(1)) / (B - 1) is one batch's time; less startsecs (1 s), the settle
 * window (1 s) and supervisord's stop (measured: the time of a stop of one batch alone), that is the overhead.
 */
function rollingOverhead(inventory: string, project: string): string {
  const batch = Math.max(1, Math.floor(hosts / 5));
  const batches = Math.ceil(hosts / batch);
  const restart = (rolling: number) =>
    median(
      repeat('restart', ['-i', inventory, 'restart', 'all', 'trips', '--rolling', String(rolling)], project).map(
        (r) => r.ms,
      ),
    );
  const inBatches = restart(batch);
  const atOnce = restart(hosts);
  const stops: number[] = [];
  for (let i = 0; i < runs; i++) {
    stops.push(mustPass('stop', convoy(['-i', inventory, 'stop', 'all', 'trips'], project)).ms);
    mustPass('start', convoy(['-i', inventory, 'start', 'all', 'trips'], project));
  }
  const stopStart = median(stops);
  const floor = median([0, 1, 2].map(() => mustPass('status', convoy(['-i', inventory, 'status', 'all'], project)).ms));
  const stopMs = Math.max(0, stopStart - floor);
  const perBatch = (inBatches - atOnce) / (batches - 1);
  const overhead = perBatch - 1000 - 1000 - stopMs;
  return `${batches} batches of ${batch}: ${seconds(inBatches)}, one batch: ${seconds(atOnce)}; per batch ${seconds(perBatch)}, supervisord stop ${seconds(stopMs)} (stop run less status run), overhead ${seconds(overhead)}`;
}

try {
  const inventory = bringUp();
  const project = makeProject();
  const inv = ['-i', inventory];
  const floors = Array.from({ length: runs }, () => 0);
  for (let i = 0; i < runs; i++) floors[i] = await connectFloorMs(inventory, work);
  rows.push(['connect + auth, nothing run (floor)', seconds(median(floors)), '-']);
  writeFileSync(path.join(project, 'build', 'trips', 'VERSION'), `${Date.now()}\n`);
  row(`deploy ${values['artifact-mb']} MB, cold (new release)`, [
    mustPass('cold deploy', convoy([...inv, 'deploy', 'all', 'trips'], project)),
  ]);
  row('deploy, unchanged', repeat('deploy', [...inv, 'deploy', 'all', 'trips'], project));
  mustPass('warm-up', convoy([...inv, '--persist', '10m', 'deploy', 'all', 'trips'], project));
  row(
    'deploy, unchanged, warm --persist',
    repeat('deploy', [...inv, '--persist', '10m', 'deploy', 'all', 'trips'], project),
  );
  row('status', repeat('status', [...inv, 'status', 'all'], project));
  row('status, warm --persist', repeat('status', [...inv, '--persist', '10m', 'status', 'all'], project));
  // Exit 3 is a drift found (another app on the fleet): the round trips are the same.
  row('plan', [mustPass('plan', convoy([...inv, 'plan', 'all'], project), [0, 3])]);
  const rolling = rollingOverhead(inventory, project);
  console.log(
    `round trips: ${hosts} sandbox hosts, median of ${runs} runs, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}`,
  );
  for (const r of rows) console.log(`${r[0]!.padEnd(40)} ${r[1]!.padStart(9)}   ${r[2]}`);
  console.log(`rolling restart: ${rolling}`);
  console.log(`peak memory of a Convoy run: ${Math.max(...peaks).toFixed(0)} MB`);
} finally {
  // The persist process this script started (its pid file in this script's HOME), never one found by name.
  const pidFile = `${persistSocketPath(work)}.pid`;
  if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
  if (!values.keep && !values['state-dir']) convoy(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
