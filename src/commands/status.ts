// `convoy status [target] [program…]`: one table of every program on every host, agreeing with supervisorctl.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import type { Output } from '../output/output.ts';
import type { StatusRow } from '../output/views/status.ts';
import { showStatus } from '../output/views/status.ts';
import type { HostSession } from '../host/session.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { HostOutcome } from '../orchestration/run-on-hosts.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import type { Fleet } from '../host/fleet.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { uptimeText } from '../supervisor/process-info.ts';
import { displayName, selectProcesses } from '../supervisor/select.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget } from './fleet-context.ts';

export interface StatusCommandOptions extends FleetContextOptions {
  target: string;
  programs: readonly string[];
  output: Output;
  /** Refresh every this many ms until Ctrl-C (`--watch`). */
  watchMs?: number | undefined;
  interruption?: Interruption;
}

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

const byHostThenProgram = (a: StatusRow, b: StatusRow) =>
  a.host.localeCompare(b.host, 'en', { numeric: true }) || a.program.localeCompare(b.program, 'en', { numeric: true });

/** A row that is not a program: what the host said instead (nothing matched, nothing runs, unreachable). */
function hostRow(host: string, program: string, state: string, info: string, transport?: string): StatusRow {
  return {
    host,
    program,
    state,
    pid: null,
    uptimeSeconds: null,
    uptime: '',
    info,
    ...(transport ? { transport } : {}),
  };
}

/** The rows of one host: its selected programs, the names that matched nothing, or a row saying it runs none. */
async function hostRows(session: HostSession, programs: readonly string[]): Promise<StatusRow[]> {
  const client = session.supervisor();
  const { selected, unmatched } = selectProcesses(await client.getAllProcessInfo(), programs);
  const via = client.transportKind;
  const rows = selected.map((p) => rowFor(session.name, p, via));
  for (const name of unmatched) rows.push(hostRow(session.name, name, 'MISSING', 'no such program on this host', via));
  if (rows.length === 0) rows.push(hostRow(session.name, '-', 'NO PROGRAMS', 'supervisord runs no program', via));
  return rows;
}

/** One status pass over the hosts (on the fleet's sessions, so a --watch refresh is one call per host). */
async function statusPass(options: StatusCommandOptions, fleet: Fleet, hosts: readonly HostConfig[]): Promise<number> {
  const concurrency = options.globals.concurrency ?? defaultConcurrency;
  const { outcomes, summary } = await runOnSessions(fleet, hosts, { concurrency }, async (session) => ({
    value: await hostRows(session, options.programs),
    ok: true,
  }));
  const unread = (o: HostOutcome<StatusRow[]>) =>
    hostRow(o.host, '-', o.status === 'unreachable' ? 'UNREACHABLE' : 'ERROR', o.error?.message ?? '');
  const rows = outcomes.flatMap((o) => o.value ?? [unread(o)]).sort(byHostThenProgram);
  const notRunning = rows.some((r) => r.program !== '-' && r.state !== 'RUNNING');
  const exitCode = exitCodeFor(summary, { notRunning });
  const redraw = Boolean(options.watchMs && options.output.color);
  showStatus(options.output, { rows, outcomes, summary, exitCode, redraw });
  return exitCode;
}

export async function statusCommand(options: StatusCommandOptions): Promise<number> {
  const { inventory, hosts } = loadTarget(options, options.target);
  const fleet = openFleet(options, inventory);
  try {
    let code = await statusPass(options, fleet, hosts);
    while (options.watchMs && !options.interruption?.requested()) {
      await Promise.race([sleep(options.watchMs), options.interruption?.promise]);
      if (options.interruption?.requested()) break;
      code = await statusPass(options, fleet, hosts);
    }
    return (options.watchMs && interruptedWith(options.interruption)) || code;
  } finally {
    await fleet.close();
  }
}
