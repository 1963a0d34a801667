// Benchmark (prints numbers; not a test): Convoy against OpenSSH, parallel-ssh, Fabric and Ansible on a sandbox fleet
// of this machine, every figure measured in the same run on the same hosts.
// Usage: npm run bench -- [--hosts 50] [--runs 5] [--slow-runs 3] [--deploy-runs 3] [--output-mb 50] [--only output]
// Each figure is the median wall time over the runs (after one warm-up run); tools alternate run by run.
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

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    'slow-runs': { type: 'string' },
    'deploy-runs': { type: 'string' },
    // Each host prints this much to `convoy exec` (0: not measured); `--only output` measures just that.
    'output-mb': { type: 'string', default: '50' },
    only: { type: 'string' },
  },
});
const outputMb = Number(values['output-mb']);
const onlyOutput = values.only === 'output';
const hosts = Number(values.hosts);
const runs = Number(values.runs);
const slowRuns = Number(values['slow-runs'] ?? Math.min(runs, 3));
const deployRuns = Number(values['deploy-runs'] ?? Math.min(runs, 3));
if (![hosts, runs, slowRuns, deployRuns].every((n) => Number.isInteger(n) && n > 0) || hosts > 250) {
  console.error('bench: --hosts (1–250), --runs, --slow-runs and --deploy-runs take whole numbers above 0');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
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
const inv = ['-i', state.inventoryFile];
// The same fleet through the OpenSSH transport: one ControlMaster per host, per run (cold) or kept by --persist (warm).
const opensshInventory = path.join(work, 'openssh.ini');
writeFileSync(
  opensshInventory,
  readFileSync(state.inventoryFile, 'utf8').replace('[defaults]\n', '[defaults]\ntransport = openssh\n'),
);

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
    const project = path.join(work, 'project');
    mkdirSync(path.join(project, 'tasks'), { recursive: true });
    mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    symlinkSync(root, path.join(project, 'node_modules', 'convoy'));
    const artifact = path.join(project, 'build', 'bench');
    mkdirSync(artifact, { recursive: true });
    writeFileSync(path.join(artifact, 'payload.bin'), randomBytes(20 * 1024 * 1024));
    writeFileSync(
      path.join(project, 'tasks', 'bench.ts'),
      `import { defineApp } from 'convoy';
export default defineApp({ name: 'bench', root: '/srv/bench', artifact: 'build/bench', keepReleases: 2,
  programs: { idle: { command: '/bin/sleep 3600', startsecs: 1 } } });
`,
    );
    const deploys = { cold: [] as number[], unchanged: [] as number[] };
    const deployUsage = { cold: [] as (Usage | undefined)[], unchanged: [] as (Usage | undefined)[] };
    for (let i = 0; i < deployRuns; i++) {
      writeFileSync(path.join(artifact, 'VERSION'), `${i}\n`);
      for (const kind of ['cold', 'unchanged'] as const) {
        const r = await convoy([...inv, 'deploy', 'all', 'bench'], [0], project);
        deploys[kind].push(r.ms);
        deployUsage[kind].push(r.usage);
        process.stderr.write('.');
      }
    }
    for (const kind of ['cold', 'unchanged'] as const) {
      const usage = recordUsage(`deploy 20 MB ${kind}`, deployUsage[kind]);
      rows.push({
        label: `deploy 20 MB, ${kind}`,
        tool: 'convoy',
        ms: median(deploys[kind]),
        ...(usage ? { usage } : {}),
      });
    }

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
    await compare('status, transport = openssh', ['-i', opensshInventory, 'status', 'all'], '', [], slow);
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
  if (outputMb > 0) {
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
} finally {
  stopPersistProcess();
  stopPersistedMasters();
  if (Number.isNaN(downMs)) convoySync(['sandbox', 'down', '--state-dir', stateDir]);
  rmSync(work, { recursive: true, force: true });
}
