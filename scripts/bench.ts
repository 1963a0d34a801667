// Benchmark (prints numbers; not a test): Convoy against OpenSSH, parallel-ssh, Fabric and Ansible on a sandbox fleet
// of this machine, every figure measured in the same run on the same hosts.
// Usage: npm run bench -- [--hosts 50] [--runs 5] [--slow-runs 3] [--deploy-runs 3] [--output-mb 50]
//   [--only output|deploy] [--uplink 100mbit] [--fanout K] [--chart FILE.svg] [--write-docs]
// Each figure is the median wall time over the runs (after one warm-up run); tools alternate run by run.
// --uplink: the whole bench runs again in a network namespace of its own, the controller's traffic to the hosts
// shaped to that rate (scripts/bench/uplink.ts, docs/benchmark.md). Results also go to an SVG chart (scripts/bench/chart.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ansibleBaseline, fabricBaseline, openSshBaseline, parallelSshBaseline } from './bench/baselines.ts';
import type { Baseline, Fleet } from './bench/baselines.ts';
import { connectFloorMs } from './bench/floor.ts';
import { median, runTimed, seconds } from './bench/measure.ts';
import type { Usage } from './bench/measure.ts';
import { barChart } from './bench/chart.ts';
import type { Bar } from './bench/chart.ts';
import {
  controllerAddress,
  describeModel,
  namespaceMarker,
  parseUplinkRate,
  rerunInNamespace,
  shapeUplink,
  uplinkBytes,
  verifyShaping,
} from './bench/uplink.ts';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    'slow-runs': { type: 'string' },
    'deploy-runs': { type: 'string' },
    // Each host prints this much to `convoy exec` (0: not measured); `--only output` measures just that.
    'output-mb': { type: 'string', default: '50' },
    // Also deploy with `--fanout K` (docs/deploy.md, "Fan-out"): the row to set against the direct upload.
    fanout: { type: 'string' },
    // `--only deploy`: the 20 MB artifact's deploys alone (what --uplink is for), no baselines.
    only: { type: 'string' },
    // The controller's uplink to all hosts together, e.g. 100mbit (tc units: kbit, mbit, gbit).
    uplink: { type: 'string' },
    chart: { type: 'string' },
    // The chart goes to docs/bench.svg (docs/bench-uplink.svg with --uplink), which the README shows.
    'write-docs': { type: 'boolean', default: false },
  },
});
const outputMb = Number(values['output-mb']);
const onlyOutput = values.only === 'output';
const onlyDeploy = values.only === 'deploy';
if (values.only !== undefined && !onlyOutput && !onlyDeploy) {
  console.error(`bench: --only takes output or deploy, got '${values.only}'`);
  process.exit(2);
}
const uplink = values.uplink === undefined ? undefined : parseUplinkRate(values.uplink);
if (values.uplink !== undefined && !uplink) {
  console.error(`bench: --uplink takes a rate such as 100mbit, 1gbit or 512kbit, got '${values.uplink}'`);
  process.exit(2);
}
// The shaped run happens in a namespace of its own: this process only waits for it.
if (uplink && process.env[namespaceMarker] !== '1') process.exit(rerunInNamespace(process.argv.slice(1), process.env));
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const slowRuns = Number(values['slow-runs'] ?? Math.min(runs, 3));
const deployRuns = Number(values['deploy-runs'] ?? Math.min(runs, 3));
if (![hosts, runs, slowRuns, deployRuns].every((n) => Number.isInteger(n) && n > 0) || hosts > 250) {
  console.error('bench: --hosts (1–250), --runs, --slow-runs and --deploy-runs take whole numbers above 0');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
// Under --uplink every convoy run connects from the shaped source address.
const uplinkFlags = uplink ? ['--bind-address', controllerAddress] : [];
const convoyBin = path.join(root, 'bin', 'convoy.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-'));
const stateDir = path.join(work, 'sandbox');
const env = { ...process.env, NO_COLOR: '1', HOME: work, SSH_AUTH_SOCK: '' };

function convoySync(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [convoyBin, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One Convoy run, with its own CPU time and peak memory; `ok` lists the exit codes that count as done. */
async function convoy(
  args: string[],
  ok: number[] = [0],
  cwd?: string,
  discardStdout = false,
): Promise<{ ms: number; usage: Usage | undefined }> {
  // The binary as users run it: through its shebang, with its V8 flags.
  const r = await runTimed(convoyBin, args, {
    env,
    measureUsage: true,
    discardStdout,
    ...(cwd ? { cwd } : {}),
  });
  // The end of its output says why (the hosts that failed or could not be reached, for most commands).
  if (!ok.includes(r.code))
    throw new Error(`convoy ${args.slice(2).join(' ')} exited ${r.code}:\n${r.stdout.slice(-2000)}`);
  return { ms: r.ms, usage: r.usage };
}

interface Row {
  label: string;
  tool: string;
  ms: number;
  ratio?: number;
  persistRatio?: number;
  usage?: Usage;
}
const rows: Row[] = [];
const cost: { label: string; usage: Usage }[] = [];

function recordUsage(label: string, usages: (Usage | undefined)[]): Usage | undefined {
  const known = usages.filter((u): u is Usage => u !== undefined);
  if (known.length === 0) return undefined;
  const usage = { cpuMs: median(known.map((u) => u.cpuMs)), maxRssMb: Math.max(...known.map((u) => u.maxRssMb)) };
  cost.push({ label, usage });
  return usage;
}

/**
 * Convoy (fresh connections, and with --persist after the warm-up run) and each baseline, alternated run by run so
 * all see the same machine state; run 0 is a warm-up.
 */
async function compare(
  label: string,
  convoyArgs: string[],
  remote: string,
  baselines: Baseline[],
  slow: Set<Baseline>,
): Promise<void> {
  const variants = [
    { tool: 'convoy', args: convoyArgs },
    { tool: 'convoy --persist, warm', args: ['--persist', '30m', ...convoyArgs] },
  ];
  const ours = variants.map(() => ({ ms: [] as number[], usage: [] as (Usage | undefined)[] }));
  const theirs = new Map<Baseline, number[]>(baselines.map((b) => [b, []]));
  for (let i = 0; i <= runs; i++) {
    for (const [v, variant] of variants.entries()) {
      const r = await convoy(variant.args, [0, 3]);
      if (i > 0) {
        ours[v]?.ms.push(r.ms);
        ours[v]?.usage.push(r.usage);
      }
    }
    for (const b of baselines) {
      if (slow.has(b) && i > slowRuns) continue;
      const run = await b.run(remote);
      if (i > 0) theirs.get(b)?.push(run.ms);
    }
    process.stderr.write('.');
  }
  const medians = ours.map((o) => median(o.ms));
  for (const [v, variant] of variants.entries()) {
    const usage = recordUsage(`${label}${v ? ' --persist' : ''}`, ours[v]?.usage ?? []);
    rows.push({ label: v ? '' : label, tool: variant.tool, ms: medians[v] ?? NaN, ...(usage ? { usage } : {}) });
  }
  for (const b of baselines) {
    const ms = median(theirs.get(b) ?? []);
    rows.push({ label: '', tool: b.name, ms, ratio: ms / (medians[0] ?? NaN), persistRatio: ms / (medians[1] ?? NaN) });
  }
}

/** Ends the OpenSSH masters that `--persist` runs through `transport = openssh` kept (ControlPersist 30m). */
function stopPersistedMasters(): void {
  const dir = path.join(work, '.convoy', 'openssh');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /^[0-9a-f]{12}$/.test(f));
  } catch {
    return;
  }
  for (const name of names) spawnSync('ssh', ['-S', path.join(dir, name), '-O', 'exit', 'x'], { stdio: 'ignore' });
}

/** Ends the --persist process the runs above started (it would end by itself after 30 min idle; the slow baselines can take minutes between two runs). */
function stopPersistProcess(): void {
  try {
    process.kill(Number(readFileSync(path.join(work, '.convoy', 'persist.sock.pid'), 'utf8')), 'SIGTERM');
  } catch {
    // not started, or already gone
  }
}

const modelLines: string[] = [];
if (uplink) {
  shapeUplink(uplink);
  // Between two addresses the fleet is about to use, before it loads the machine.
  modelLines.push(...describeModel(uplink), ...(await verifyShaping(uplink, '127.0.9.1', '127.0.9.2')));
}
process.stderr.write(`bench: bringing up ${hosts} sandbox hosts in ${stateDir}\n`);
const upStarted = performance.now();
const up = convoySync([
  'sandbox',
  'up',
  '--hosts',
  String(hosts),
  '--first-address',
  '127.0.9.1',
  '--state-dir',
  stateDir,
  '--json',
]);
if (up.code !== 0) {
  console.error(up.stderr);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}
const upMs = performance.now() - upStarted;
// JSON lines (docs/output.md): a result per host, then the summary with the fleet's files.
const upLines = up.stdout
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const state = {
  ...(upLines.at(-1) as { inventoryFile: string; clientKeyFile: string; knownHostsFile: string }),
  hosts: upLines.filter((l) => l.type === 'result') as unknown as { address: string }[],
};
const fleet: Fleet = {
  addresses: state.hosts.map((h) => h.address),
  keyFile: state.clientKeyFile,
  knownHostsFile: state.knownHostsFile,
};
// Under --uplink a host's handshake waits in the uplink's queue behind the uploads of hosts that connected first (a
// deploy stages each host as soon as it is open) and, on this shared machine, for a CPU: 2 of 50 once took over the
// default 10 s (docs/benchmark.md).
if (uplink)
  writeFileSync(
    state.inventoryFile,
    readFileSync(state.inventoryFile, 'utf8').replace('[defaults]\n', '[defaults]\nconnect_timeout = 30\n'),
  );
const inv = ['-i', state.inventoryFile, ...uplinkFlags];
// The same fleet through the OpenSSH transport: one ControlMaster per host, per run (cold) or kept by --persist (warm).
const opensshInventory = path.join(work, 'openssh.ini');
writeFileSync(
  opensshInventory,
  readFileSync(state.inventoryFile, 'utf8').replace('[defaults]\n', '[defaults]\ntransport = openssh\n'),
);

/** The project the deploy cases deploy from: one app whose artifact is a directory with 20 MiB of random bytes. */
function benchProject(): string {
  const project = path.join(work, 'project');
  mkdirSync(path.join(project, 'tasks'), { recursive: true });
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, path.join(project, 'node_modules', 'convoy'));
  const artifact = path.join(project, 'build', 'bench');
  mkdirSync(artifact, { recursive: true });
  // Random, so that no compression on the way makes the upload smaller than it is.
  writeFileSync(path.join(artifact, 'payload.bin'), randomBytes(20 * 1024 * 1024));
  writeFileSync(
    path.join(project, 'tasks', 'bench.ts'),
    `import { defineApp } from 'convoy';
export default defineApp({ name: 'bench', root: '/srv/bench', artifact: 'build/bench', keepReleases: 2,
  programs: { idle: { command: '/bin/sleep 3600', startsecs: 1 } } });
`,
  );
  return project;
}

// Each cold run changes the artifact (its VERSION file), whatever case ran before.
let artifactVersion = 0;
// Under --uplink: what each deploy case pushed through the shaped class, printed under the table.
const uplinkNotes: string[] = [];

/**
 * One deploy case, --deploy-runs times: cold (a new release on every host), then unchanged. `extra` are the case's
 * own deploy flags (e.g. `['--fanout', '4']`), which also name its rows. Under --uplink, `shaped = false` connects
 * from the default address, past the shaping: the same deploy on the same machine, to tell what the uplink costs.
 */
async function measureDeploy(project: string, extra: readonly string[] = [], shaped = true): Promise<void> {
  const tool = ['convoy', ...extra].join(' ') + (uplink && !shaped ? ', uplink not shaped' : '');
  const globals = shaped ? inv : ['-i', state.inventoryFile];
  const kinds = ['cold', 'unchanged'] as const;
  const times = { cold: [] as number[], unchanged: [] as number[] };
  const usages = { cold: [] as (Usage | undefined)[], unchanged: [] as (Usage | undefined)[] };
  const sent: number[] = [];
  for (let i = 0; i < deployRuns; i++) {
    writeFileSync(path.join(project, 'build', 'bench', 'VERSION'), `${++artifactVersion}\n`);
    for (const kind of kinds) {
      const before = uplink ? uplinkBytes() : NaN;
      const r = await convoy([...globals, 'deploy', 'all', 'bench', ...extra], [0], project);
      if (uplink && shaped && kind === 'cold') sent.push(uplinkBytes() - before);
      times[kind].push(r.ms);
      usages[kind].push(r.usage);
      process.stderr.write('.');
    }
  }
  for (const kind of kinds) {
    const usage = recordUsage(`deploy 20 MB ${kind}${tool.slice('convoy'.length)}`, usages[kind]);
    rows.push({ label: `deploy 20 MB, ${kind}`, tool, ms: median(times[kind]), ...(usage ? { usage } : {}) });
  }
  if (sent.length) {
    const mb = median(sent) / 1e6;
    uplinkNotes.push(
      `  ${tool}: ${mb.toFixed(0)} MB through the uplink per cold deploy (${(mb / hosts).toFixed(1)} MB per host)`,
    );
  }
}

/** The table's rows as bars: each case a heading (in order of first appearance), Convoy's own bars in colour. */
function chartBars(): Bar[] {
  let group = '';
  const bars = rows.map((r) => {
    group = r.label || group;
    // Convoy's own rows in colour; a reference row (the same deploy past the shaping) in grey, as the baselines.
    const highlight = r.tool.startsWith('convoy') && !r.tool.endsWith('uplink not shaped');
    return { group, label: r.tool, seconds: r.ms / 1000, highlight };
  });
  return [...new Set(bars.map((b) => b.group))].flatMap((g) => bars.filter((b) => b.group === g));
}

/** Where the chart goes: --chart, else docs/ with --write-docs, else the temp directory (named at the end). */
function chartFile(): string {
  if (values.chart) return path.resolve(values.chart);
  if (values['write-docs']) return path.join(root, 'docs', uplink ? 'bench-uplink.svg' : 'bench.svg');
  return path.join(os.tmpdir(), `convoy-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.svg`);
}

function writeChart(): string {
  const file = chartFile();
  const where = uplink ? `uplink shaped to ${uplink.tc}` : 'loopback, unshaped';
  const subtitle = `${hosts} sandbox hosts on ${os.cpus().length} shared cores, ${where}; median of ${runs} runs (deploys ${deployRuns}), ${new Date().toISOString().slice(0, 10)}`;
  writeFileSync(file, barChart(chartBars(), { title: 'Convoy benchmark (npm run bench)', subtitle }));
  return file;
}

let downMs = NaN;
try {
  const status = convoySync(['sandbox', 'status', '--state-dir', stateDir, '--json']);
  const memory = status.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; memoryKb?: number })
    .filter((l) => l.type === 'result')
    .map((h) => h.memoryKb ?? 0);

  let missing: string[] = [];
  if (!onlyOutput) {
    // Deploy of a 20 MB artifact first, so that status has a program on every host: cold (a new release
    // everywhere), then unchanged (nothing uploaded or restarted).
    const project = benchProject();
    await measureDeploy(project);
    // The same deploy past the shaping, in the same run: what is left of the cold figure is the uplink's.
    if (uplink) await measureDeploy(project, [], false);
    if (values.fanout !== undefined) await measureDeploy(project, ['--fanout', values.fanout]);
  }
  // --only deploy: the deploy cases alone, e.g. under a shaped uplink, where the baselines would mean little.
  if (!onlyOutput && !onlyDeploy) {
    const project = path.join(work, 'project');
    const floors: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const ms = await connectFloorMs(state.inventoryFile, work);
      if (i > 0) floors.push(ms);
    }
    rows.unshift({
      label: 'connect + auth, nothing run',
      tool: "floor: one Node.js process, Convoy's pool",
      ms: median(floors),
    });

    const openssh = openSshBaseline(fleet, env);
    const pssh = parallelSshBaseline(fleet, work, env);
    const fabric = fabricBaseline(fleet, work, env);
    const ansible = ansibleBaseline(fleet, work, env, true);
    const ansibleCold = ansibleBaseline(fleet, work, env, false);
    const slow = new Set([fabric, ansible, ansibleCold].filter((b): b is Baseline => b !== undefined));
    await compare('exec true', [...inv, 'exec', 'all', '--', 'true'], 'true', [openssh, ...(pssh ? [pssh] : [])], slow);
    await compare(
      'status',
      [...inv, 'status', 'all'],
      'supervisorctl status',
      [openssh, ...(fabric ? [fabric] : []), ...(ansibleCold ? [ansibleCold] : []), ...(ansible ? [ansible] : [])],
      slow,
    );
    // plan next to status: the same fleet read for drift (two round trips per host), task files loaded as deploy does.
    const plans: number[] = [];
    const planUsage: (Usage | undefined)[] = [];
    for (let i = 0; i <= runs; i++) {
      const r = await convoy([...inv, 'plan', 'all'], [0, 3], project);
      if (i > 0) {
        plans.push(r.ms);
        planUsage.push(r.usage);
      }
    }
    const planCost = recordUsage('plan', planUsage);
    rows.push({ label: 'plan (drift)', tool: 'convoy', ms: median(plans), ...(planCost ? { usage: planCost } : {}) });
    // Next to ssh2's status: the same status through `transport = openssh`, masters started by the run (cold) and
    // kept warm by --persist (ControlPersist), as Ansible's ControlPersist row above.
    await compare(
      'status, transport = openssh',
      ['-i', opensshInventory, ...uplinkFlags, 'status', 'all'],
      '',
      [],
      slow,
    );
    rows.splice(
      -2,
      2,
      ...rows
        .slice(-2)
        .map((r, i) => ({ ...r, tool: i ? 'convoy --persist, warm masters' : 'convoy, masters per run' })),
    );
    stopPersistedMasters();
    missing = [
      pssh ? '' : 'parallel-ssh (apt install pssh)',
      fabric ? '' : 'Fabric (apt install python3-fabric)',
      ansible ? '' : 'Ansible (apt install ansible-core)',
    ].filter(Boolean);

    // A rolling restart of the deployed app, 25% of the hosts per batch, each batch health-gated (RUNNING past
    // startsecs, then the same PIDs a second later).
    const rolling = await convoy([...inv, 'restart', 'all', 'bench', '--rolling', '25%'], [0], project);
    const rollingUsage = recordUsage('rolling restart', [rolling.usage]);
    rows.push({
      label: 'rolling restart, 25% batches',
      tool: 'convoy',
      ms: rolling.ms,
      ...(rollingUsage ? { usage: rollingUsage } : {}),
    });
  }

  // Peak memory while every host prints a lot: output streams through (a bounded tail is kept per host), so the
  // deploying machine's memory stays flat however much the hosts print.
  if (outputMb > 0 && !onlyDeploy) {
    const line = "yes 'sixty-four bytes of output, one line after the other, from every host.'";
    const print = `${line} | head -c ${outputMb * 1_000_000}`;
    const big = await convoy([...inv, 'exec', 'all', '--', print], [0], undefined, true);
    const bigUsage = recordUsage(`exec, ${outputMb} MB printed per host`, [big.usage]);
    rows.push({
      label: `exec, each host printing ${outputMb} MB`,
      tool: 'convoy',
      ms: big.ms,
      ...(bigUsage ? { usage: bigUsage } : {}),
    });
  }

  stopPersistProcess();
  const downStarted = performance.now();
  convoySync(['sandbox', 'down', '--state-dir', stateDir]);
  downMs = performance.now() - downStarted;
  process.stderr.write('\n');

  const sshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0];
  console.log(
    `Convoy benchmark: ${hosts} sandbox hosts, median of ${runs} runs (Fabric and Ansible: ${slowRuns}), ${os.cpus().length} cores, Node.js ${process.version}, ${sshVersion}`,
  );
  console.log(
    `sandbox: up ${seconds(upMs)}, down ${seconds(downMs)}, memory per host (PSS) ${(median(memory) / 1024).toFixed(1)} MB`,
  );
  console.log('baselines run the same remote command as convoy: `true` for exec, `supervisorctl status` for status');
  for (const line of modelLines) console.log(line);
  console.log('');
  const ratio = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(1)}x`);
  const table = [
    ['case', 'tool', 'median', 'convoy faster by', 'convoy --persist faster by'],
    ...rows.map((r) => [r.label, r.tool, seconds(r.ms), ratio(r.ratio), ratio(r.persistRatio)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    console.log(
      '  ' +
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
    );
  console.log('');
  console.log(`Convoy's own cost on this machine (CPU time of the convoy process per host; peak RSS):`);
  for (const c of cost)
    console.log(
      `  ${c.label.padEnd(32)} ${(c.usage.cpuMs / hosts).toFixed(1).padStart(6)} ms/host  ${c.usage.maxRssMb.toFixed(0).padStart(4)} MB`,
    );
  if (missing.length) console.log(`\nnot installed, so not measured: ${missing.join(', ')}`);
  if (uplinkNotes.length)
    console.log(['', 'Through the shaped uplink (tc class bytes, all hosts):', ...uplinkNotes].join('\n'));
  console.log(`\nchart: ${writeChart()}`);
} finally {
  stopPersistProcess();
  stopPersistedMasters();
  if (Number.isNaN(downMs)) convoySync(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
