// `convoy status [target] [program…]`: one table of every program on every host, agreeing with supervisorctl.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode } from '../errors.ts';
import type { Interruption } from './interruption.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import type { ColorName } from '../output/colors.ts';
import type { Fleet } from '../host/fleet.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { uptimeText } from '../supervisor/process-info.ts';
import { displayName, selectProcesses } from '../supervisor/select.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts } from './fleet-context.ts';

export interface StatusCommandOptions extends FleetContextOptions {
  target: string;
  programs: readonly string[];
  output: Output;
  /** Refresh every this many ms until Ctrl-C (`--watch`). */
  watchMs?: number | undefined;
  interruption?: Interruption;
}

/** One line of the table: a program on a host, or a host that could not be read. */
export interface StatusRow {
  host: string;
  program: string;
  state: string;
  pid: number | null;
  uptimeSeconds: number | null;
  uptime: string;
  info: string;
  transport?: string;
}

const stateColors: Record<string, ColorName> = {
  RUNNING: 'green',
  STARTING: 'yellow',
  BACKOFF: 'yellow',
  STOPPING: 'yellow',
  STOPPED: 'gray',
};

export function rowFor(host: string, p: ProcessInfo, transport: string): StatusRow {
  const running = p.statename === 'RUNNING';
  return {
    host,
    program: displayName(p),
    state: p.statename,
    pid: running ? p.pid : null,
    uptimeSeconds: running ? Math.max(0, p.now - p.start) : null,
    uptime: running ? uptimeText(p) : '',
    info: running ? '' : p.spawnerr || p.description,
    transport,
  };
}

const footerOrder = ['RUNNING', 'STARTING', 'BACKOFF', 'STOPPING', 'STOPPED', 'EXITED', 'FATAL', 'UNKNOWN', 'MISSING'];
function stateRank(state: string): number {
  const index = footerOrder.indexOf(state);
  return index < 0 ? footerOrder.length : index;
}

const byHostThenProgram = (a: StatusRow, b: StatusRow) =>
  a.host.localeCompare(b.host, 'en', { numeric: true }) || a.program.localeCompare(b.program, 'en', { numeric: true });

/** One status pass over the hosts (on the fleet's sessions, so a --watch refresh is one call per host). */
async function statusPass(
  options: StatusCommandOptions,
  fleet: Fleet,
  hosts: ReturnType<typeof targetHosts>,
): Promise<number> {
  const { outcomes, summary } = await runOnSessions(
    fleet,
    hosts,
    { concurrency: options.globals.concurrency ?? defaultConcurrency },
    async (session, host) => {
      const client = session.supervisor();
      const all = await client.getAllProcessInfo();
      const { selected, unmatched } = selectProcesses(all, options.programs);
      const rows = selected.map((p) => rowFor(host.name, p, client.transportKind));
      for (const name of unmatched)
        rows.push({
          host: host.name,
          program: name,
          state: 'MISSING',
          pid: null,
          uptimeSeconds: null,
          uptime: '',
          info: 'no such program on this host',
          transport: client.transportKind,
        });
      if (rows.length === 0)
        rows.push({
          host: host.name,
          program: '-',
          state: 'NO PROGRAMS',
          pid: null,
          uptimeSeconds: null,
          uptime: '',
          info: 'supervisord runs no program',
          transport: client.transportKind,
        });
      return { value: rows, ok: true };
    },
  );
  const rows = outcomes
    .flatMap(
      (o): StatusRow[] =>
        o.value ?? [
          {
            host: o.host,
            program: '-',
            state: o.status === 'unreachable' ? 'UNREACHABLE' : 'ERROR',
            pid: null,
            uptimeSeconds: null,
            uptime: '',
            info: o.error?.message ?? '',
          },
        ],
    )
    .sort(byHostThenProgram);
  const programs = rows.filter((r) => r.program !== '-');
  const notRunning = programs.filter((r) => r.state !== 'RUNNING');
  const counts = new Map<string, number>();
  for (const r of programs) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const out = options.output;
  if (out.jsonMode) {
    out.json({ rows, summary: { ...summary, programs: programs.length, states: Object.fromEntries(counts) } });
  } else {
    const lines = [
      formatTable(
        ['HOST', 'PROGRAM', 'STATE', 'PID', 'UPTIME', 'INFO'],
        rows.map((r) => [
          r.host,
          r.program,
          paint(out.color, stateColors[r.state] ?? 'red', r.state),
          r.pid === null ? '-' : String(r.pid),
          r.uptime || '-',
          r.info,
        ]),
      ),
    ];
    const stateText =
      [...counts]
        .sort(([a], [b]) => stateRank(a) - stateRank(b))
        .map(([state, n]) => `${n} ${state}`)
        .join(', ') || 'none';
    const hostText = [
      summary.unreachable ? `${summary.unreachable} unreachable` : '',
      summary.failed ? `${summary.failed} failed` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const viaExec = outcomes.filter((o) => o.value?.[0]?.transport === 'exec').map((o) => o.host);
    const pathText = viaExec.length
      ? `; supervisord reached through an exec relay on ${viaExec.join(', ')} (sshd refuses streamlocal forwarding)`
      : '';
    lines.push(
      `${programs.length} program${programs.length === 1 ? '' : 's'} on ${summary.total} host${summary.total === 1 ? '' : 's'}: ${stateText}${hostText ? `; hosts ${hostText}` : ''}${pathText}`,
    );
    // Redrawn in place on a terminal (--watch); appended otherwise.
    out.line((options.watchMs && out.color ? '\x1b[H\x1b[2J' : '') + lines.join('\n'));
  }
  if (summary.failed > 0) return ExitCode.hostFailed;
  if (notRunning.length > 0) return ExitCode.notRunning;
  if (summary.unreachable > 0) return ExitCode.unreachable;
  return ExitCode.ok;
}

export async function statusCommand(options: StatusCommandOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const fleet = openFleet(options);
  try {
    let code = await statusPass(options, fleet, hosts);
    while (options.watchMs && !options.interruption?.requested()) {
      await Promise.race([sleep(options.watchMs), options.interruption?.promise]);
      if (options.interruption?.requested()) break;
      code = await statusPass(options, fleet, hosts);
    }
    return options.watchMs ? (options.interruption?.requested() ? ExitCode.interrupted : code) : code;
  } finally {
    await fleet.close();
  }
}
