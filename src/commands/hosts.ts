// `convoy hosts [target]` and `convoy check`: read the inventory only, never connect.
import path from 'node:path';
import { ExitCode } from '../errors.ts';
import { resolveTarget } from '../inventory/index.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { loadTasks } from '../tasks/load.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { inventoryPath, loadFleetInventory, tasksDirOf } from './fleet-context.ts';

export interface HostsCommandOptions extends FleetContextOptions {
  target: string;
  output: Output;
}

/** The jump chain as names, nearest first: `bastion` or `edge > bastion`. */
function jumpChain(host: HostConfig): string[] {
  const chain: string[] = [];
  for (let j = host.jump; j; j = j.jump) chain.push(j.name);
  return chain;
}

export async function hostsCommand(options: HostsCommandOptions): Promise<number> {
  const hosts = resolveTarget(loadFleetInventory(options), options.target);
  const out = options.output;
  if (out.jsonMode) {
    out.json(hosts.map((h) => ({ ...h, jump: h.jump?.name ?? null, jumpChain: jumpChain(h) })));
    return ExitCode.ok;
  }
  out.line(
    formatTable(
      ['HOST', 'ADDRESS', 'PORT', 'USER', 'SUDO', 'JUMP', 'GROUPS', 'VARIABLES'],
      hosts.map((h) => [
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
      ]),
    ),
  );
  out.line(`${hosts.length} host${hosts.length === 1 ? '' : 's'} in ${options.target}`);
  return ExitCode.ok;
}

export interface CheckCommandOptions extends FleetContextOptions {
  output: Output;
}

/** Inventory, then every task file against the hosts each app would deploy to; problems exit 2 listing all. */
export async function checkCommand(options: CheckCommandOptions): Promise<number> {
  const inventory = loadFleetInventory(options);
  const file = path.relative(options.cwd, inventoryPath(options)) || inventoryPath(options);
  const tasksDir = tasksDirOf(options);
  const tasks = await loadTasks(tasksDir, { hostsFor: (app) => resolveTarget(inventory, app.hosts ?? 'all') });
  const summary = {
    inventory: file,
    hosts: inventory.hosts.length,
    groups: inventory.groups.length,
    tasks: tasksDir,
    apps: tasks.apps.map((a) => a.spec.name),
    customTasks: tasks.tasks.map((t) => t.name),
  };
  if (options.output.jsonMode) options.output.json(summary);
  else {
    options.output.line(`${file}: ok (${summary.hosts} hosts, ${summary.groups} groups)`);
    options.output.line(
      `${tasksDir}/: ok (apps: ${summary.apps.join(', ') || 'none'}; tasks: ${summary.customTasks.join(', ') || 'none'})`,
    );
  }
  return ExitCode.ok;
}
