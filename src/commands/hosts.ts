// `convoy hosts [target]` and `convoy check`: read the inventory only, never connect.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LoadedApp } from '../tasks/load.ts';
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
  /** With a target, each of its hosts is read for orphaned confs (src/commands/check-hosts.ts). */
  target?: string | undefined;
}

/**
 * Inventory, then every task file against the hosts each app would deploy to; problems exit 2 listing all. With a
 * target, then the hosts' include directories (exit 3 for an orphaned conf).
 */
export async function checkCommand(options: CheckCommandOptions): Promise<number> {
  const inventory = loadFleetInventory(options, options.target !== undefined);
  const file = path.relative(options.cwd, inventoryPath(options)) || inventoryPath(options);
  const hosts = options.target === undefined ? undefined : resolveTarget(inventory, options.target);
  const tasks = await loadProjectTasks(options, { hostsFor: (app) => resolveTarget(inventory, app.hosts ?? 'all') });
  const report = {
    inventory: file,
    hosts: inventory.hosts.length,
    groups: inventory.groups.length,
    tasks: tasksDirOf(options),
    apps: tasks.apps.map((a) => a.spec.name),
    customTasks: tasks.tasks.map((t) => t.name),
    warnings: missingArtifacts(options.cwd, tasks.apps),
  };
  showCheck(options.output, report, { summary: hosts === undefined });
  if (hosts === undefined) return ExitCode.ok;
  const { checkHosts } = await import('./check-hosts.ts');
  const { hosts: count, ...extra } = report;
  return checkHosts(options, { inventory, hosts }, new Set(report.apps), {
    ...extra,
    inventoryHosts: count,
    target: options.target,
  });
}

/** Apps whose artifact is not there yet: worth a warning only (a pipeline often builds it after checking). */
function missingArtifacts(cwd: string, apps: readonly LoadedApp[]): string[] {
  return apps
    .filter((a) => a.spec.artifact !== undefined && !existsSync(path.resolve(cwd, a.spec.artifact)))
    .map((a) => `${a.file}: app '${a.spec.name}': artifact ${a.spec.artifact} not found (build it before deploying)`);
}
