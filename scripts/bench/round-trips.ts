// Round trips and the time they cost (prints numbers; not a test): on a sandbox fleet, the connect floor, status, an
// unchanged deploy with new connections and through a warm --persist process, each with its round trips per host
// (CONVOY_COUNT_ROUND_TRIPS=1), a cold deploy, plan, and a rolling restart's overhead per batch above its gates and
// supervisord's own steps (read from the hosts' supervisord logs: scripts/bench/rolling-timeline.ts).
// Usage: node --import tsx scripts/bench/round-trips.ts [--hosts 50] [--first-address 127.0.46.1] [--runs 3]
//        [--artifact-mb 20] [--state-dir DIR] [--keep]   (an existing sandbox in --state-dir is reused; --keep leaves it up)
//        [--batch N]   (hosts per batch of the rolling restart; default 20% of the hosts)
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
import { restartIn, splitBatches } from './rolling-timeline.ts';
import type { BatchSplit } from './rolling-timeline.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    'first-address': { type: 'string', default: '127.0.46.1' },
    runs: { type: 'string', default: '3' },
    'state-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    'artifact-mb': { type: 'string', default: '20' },
    /** Hosts per batch of the rolling restart; default 20% of the hosts. */
    batch: { type: 'string' },
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

/** Each host's supervisord log (its last lines), read through Convoy itself. */
function supervisordLogs(inventory: string, project: string): Map<string, string> {
  const command = 'tail -n 300 /var/log/supervisor/supervisord.log';
  const r = mustPass('read logs', convoy(['-i', inventory, '--json', 'exec', 'all', '--', command], project));
  const logs = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { type?: string; host?: string; stream?: string; text?: string };
    if (record.type !== 'output' || record.stream !== 'stdout' || !record.host) continue;
    logs.set(record.host, `${logs.get(record.host) ?? ''}${record.text}\n`);
  }
  return logs;
}

/**
 * A rolling restart's time per batch above its gates, from the hosts' supervisord logs (rolling-timeline.ts): what
 * Convoy adds between supervisord's own steps, per batch, median over batches and then over runs.
 */
function rollingOverhead(inventory: string, project: string, extra: readonly string[] = []): string {
  const batch = values.batch ? Number(values.batch) : Math.max(1, Math.floor(hosts / 5));
  const splits: BatchSplit[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    // supervisord's stamps have milliseconds but the second boundary is what the log and this clock share.
    const since = Math.floor(Date.now() / 1000) * 1000;
    const args = ['-i', inventory, ...extra, 'restart', 'all', 'trips', '--rolling', String(batch)];
    walls.push(mustPass('restart', convoy(args, project)).ms);
    const logs = supervisordLogs(inventory, project);
    const restarts = [...logs].flatMap(([host, log]) => restartIn(host, log, 'trips', since) ?? []);
    if (restarts.length !== hosts)
      throw new Error(`restart: found ${restarts.length} of ${hosts} hosts' restarts in their logs`);
    splits.push(splitBatches(restarts, batch, 1000));
  }
  const mid = (k: keyof BatchSplit) => median(splits.map((s) => s[k]));
  const ms = (k: keyof BatchSplit) => `${mid(k).toFixed(0)} ms`;
  return (
    `${splits[0]?.batches} batches of ${batch}, ${seconds(median(walls))} in all; per batch: supervisord ${ms('supervisordMs')} ` +
    `(stop, spawn, startsecs 1 s, its tick), settle 1000 ms, Convoy ${ms('overheadMs')} ` +
    `(${ms('betweenMs')} from RUNNING+settle to the next batch's stop, ${ms('stopToStartMs')} from stopped to the start)`
  );
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
  const rollingWarm = rollingOverhead(inventory, project, ['--persist', '10m']);
  console.log(
    `round trips: ${hosts} sandbox hosts, median of ${runs} runs, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}`,
  );
  for (const r of rows) console.log(`${r[0]!.padEnd(40)} ${r[1]!.padStart(9)}   ${r[2]}`);
  console.log(`rolling restart: ${rolling}`);
  console.log(`rolling restart, warm --persist: ${rollingWarm}`);
  console.log(`peak memory of a Convoy run: ${Math.max(...peaks).toFixed(0)} MB`);
} finally {
  // The persist process this script started (its pid file in this script's HOME), never one found by name.
  const pidFile = `${persistSocketPath(work)}.pid`;
  if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
  if (!values.keep && !values['state-dir']) convoy(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
