// `convoy hosts [target]` and `convoy check`: read the inventory only, never connect.
import path from 'node:path';
import { ExitCode } from '../errors.ts';
import { resolveTarget } from '../inventory/index.ts';
import type { Output } from '../output/output.ts';
import { showCheck, showHosts } from '../output/views/hosts.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { inventoryPath, loadFleetInventory, tasksDirOf, loadProjectTasks } from './fleet-context.ts';

export interface HostsCommandOptions extends FleetContextOptions {
  target: string;
  output: Output;
}

export async function hostsCommand(options: HostsCommandOptions): Promise<number> {
  const hosts = resolveTarget(loadFleetInventory(options), options.target);
  showHosts(options.output, hosts, options.target);
  return ExitCode.ok;
}

export interface CheckCommandOptions extends FleetContextOptions {
  output: Output;
}

/** Inventory, then every task file against the hosts each app would deploy to; problems exit 2 listing all. */
export async function checkCommand(options: CheckCommandOptions): Promise<number> {
  const inventory = loadFleetInventory(options);
  const file = path.relative(options.cwd, inventoryPath(options)) || inventoryPath(options);
  const tasks = await loadProjectTasks(options, { hostsFor: (app) => resolveTarget(inventory, app.hosts ?? 'all') });
  showCheck(options.output, {
    inventory: file,
    hosts: inventory.hosts.length,
    groups: inventory.groups.length,
    tasks: tasksDirOf(options),
    apps: tasks.apps.map((a) => a.spec.name),
    customTasks: tasks.tasks.map((t) => t.name),
    warnings: [],
  });
  return ExitCode.ok;
}
