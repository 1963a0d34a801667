// `convoy hosts` and `convoy check`: what the inventory and task files say, no host touched.
import type { HostConfig } from '../../inventory/types.ts';
import { ExitCode } from '../../errors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { counted } from '../words.ts';

/** The jump chain as names, nearest first: `bastion` or `edge > bastion`. */
function jumpChain(host: HostConfig): string[] {
  const chain: string[] = [];
  for (let j = host.jump; j; j = j.jump) chain.push(j.name);
  return chain;
}

const noHostTouched = (total: number) => ({ total, ok: total, failed: 0, unreachable: 0, skipped: 0, durationMs: 0 });

export function showHosts(out: Output, hosts: readonly HostConfig[], target: string): void {
  if (out.jsonMode) {
    for (const { name, ...h } of hosts) {
      out.record({
        type: 'result',
        host: name,
        status: 'ok',
        ...h,
        jump: h.jump?.name ?? null,
        jumpChain: jumpChain({ name, ...h }),
      });
    }
    writeSummary(out, 'hosts', noHostTouched(hosts.length), ExitCode.ok, { target });
    return;
  }
  const rows = hosts.map((h) => [
    h.name,
    h.address,
    String(h.port),
    h.user,
    h.sudo ? 'yes' : 'no',
    jumpChain(h).join(' > ') || '-',
    h.groups.join(',') || '-',
    Object.entries(h.vars)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
  ]);
  out.line(formatTable(['HOST', 'ADDRESS', 'PORT', 'USER', 'SUDO', 'JUMP', 'GROUPS', 'VARIABLES'], rows));
  out.line(`${counted(hosts.length, 'host')} in ${target}`);
}

export interface CheckReport {
  inventory: string;
  hosts: number;
  groups: number;
  tasks: string;
  apps: string[];
  customTasks: string[];
  /** Worth knowing, not wrong: e.g. an artifact not built yet (pipelines often build it later). */
  warnings: string[];
}

/** `summary`: false when hosts are read next (`check <target>`), whose view writes the one summary. */
export function showCheck(out: Output, report: CheckReport, { summary = true } = {}): void {
  if (out.jsonMode) {
    for (const message of report.warnings) out.record({ type: 'warning', message });
    const { hosts, ...fields } = report;
    if (summary) writeSummary(out, 'check', noHostTouched(hosts), ExitCode.ok, { ...fields, hosts });
    return;
  }
  out.line(`${report.inventory}: ok (${counted(report.hosts, 'host')}, ${counted(report.groups, 'group')})`);
  const apps = report.apps.join(', ') || 'none';
  out.line(`${report.tasks}/: ok (apps: ${apps}; tasks: ${report.customTasks.join(', ') || 'none'})`);
  for (const warning of report.warnings) out.warn(`warning: ${warning}`);
}
