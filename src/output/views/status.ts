// `convoy status`: one table of every program on every host, and a footer that counts them by state.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import type { ColorName } from '../colors.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { counted } from '../words.ts';

/** One line of the table: a program on a host, or a host that could not be read (program `-`). */
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

export interface StatusPass {
  rows: StatusRow[];
  outcomes: readonly HostOutcome<StatusRow[]>[];
  summary: RunSummary;
  exitCode: number;
  /** `--watch` on a terminal: the table is redrawn in place. */
  redraw: boolean;
}

const stateColors: Record<string, ColorName> = {
  RUNNING: 'green',
  STARTING: 'yellow',
  BACKOFF: 'yellow',
  STOPPING: 'yellow',
  STOPPED: 'gray',
};

const footerOrder = ['RUNNING', 'STARTING', 'BACKOFF', 'STOPPING', 'STOPPED', 'EXITED', 'FATAL', 'UNKNOWN', 'MISSING'];
function stateRank(state: string): number {
  const index = footerOrder.indexOf(state);
  return index < 0 ? footerOrder.length : index;
}

/** Programs per state (rows with a program only: unreachable hosts are counted as hosts). */
export function stateCounts(rows: readonly StatusRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows.filter((x) => x.program !== '-')) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return counts;
}

function footer(pass: StatusPass, counts: Map<string, number>): string {
  const { summary, outcomes } = pass;
  const programs = [...counts.values()].reduce((a, b) => a + b, 0);
  const stateText =
    [...counts]
      .sort(([a], [b]) => stateRank(a) - stateRank(b))
      .map(([state, n]) => `${n} ${state}`)
      .join(', ') || 'none';
  // `1 host unreachable`, `2 hosts unreachable, 1 failed`: the hosts that could not be read.
  const unread = [
    summary.unreachable ? `${counted(summary.unreachable, 'host')} unreachable` : '',
    summary.failed
      ? summary.unreachable
        ? `${summary.failed} failed`
        : `${counted(summary.failed, 'host')} failed`
      : '',
  ]
    .filter(Boolean)
    .join(', ');
  const viaExec = outcomes.filter((o) => o.value?.[0]?.transport === 'exec').map((o) => o.host);
  const pathText = viaExec.length
    ? `; supervisord reached through an exec relay on ${viaExec.join(', ')} (sshd refuses streamlocal forwarding)`
    : '';
  const hosts = counted(summary.total, 'host');
  return `${counted(programs, 'program')} on ${hosts}: ${stateText}${unread ? `; ${unread}` : ''}${pathText}`;
}

export function showStatus(out: Output, pass: StatusPass): void {
  const counts = stateCounts(pass.rows);
  if (out.jsonMode) {
    for (const row of pass.rows) out.record({ type: 'program', ...row });
    const programs = [...counts.values()].reduce((a, b) => a + b, 0);
    writeSummary(out, 'status', pass.summary, pass.exitCode, { programs, states: Object.fromEntries(counts) });
    return;
  }
  const table = formatTable(
    ['HOST', 'PROGRAM', 'STATE', 'PID', 'UPTIME', 'INFO'],
    pass.rows.map((r) => [
      r.host,
      r.program,
      paint(out.color, stateColors[r.state] ?? 'red', r.state),
      r.pid === null ? '-' : String(r.pid),
      r.uptime || '-',
      r.info,
    ]),
  );
  // Redrawn in place on a terminal (--watch); appended otherwise.
  out.line((pass.redraw ? '\x1b[H\x1b[2J' : '') + [table, footer(pass, counts)].join('\n'));
}
