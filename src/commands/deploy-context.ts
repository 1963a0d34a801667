// What `deploy`, `rollback` and `check` share: the inventory, the target's hosts per app, and loaded, validated apps.
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.ts';
import type { HostConfig, Inventory } from '../inventory/types.ts';
import { resolveTarget } from '../inventory/index.ts';
import type { LoadedApp, LoadedTasks } from '../tasks/load.ts';
import { appSpecFor } from '../deploy/app-spec.ts';
import type { ConfFileTexts } from '../deploy/render-conf.ts';
import { readConfFiles, renderConf } from '../deploy/render-conf.ts';
import type { TemplateTexts } from '../deploy/release-files.ts';
import { readTemplates, releaseFilesFor } from '../deploy/release-files.ts';
import type { Webhook } from '../deploy/notify.ts';
import { distinctWebhooks, resolveWebhooks } from '../deploy/notify.ts';
import { SecretValue } from '../secrets/values.ts';
import { resolveSecrets } from '../secrets/resolve.ts';
import type { ResolvedSecrets } from '../secrets/values.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { loadFleetInventory, retriedHosts, tasksDirOf, loadProjectTasks } from './fleet-context.ts';

export interface AppTarget {
  app: LoadedApp;
  hosts: HostConfig[];
  /** Hosts of the command's target that the app's own `hosts` left out (said, so a narrowed run is no surprise). */
  leftOut: string[];
  /** The app's hand-written conf files, read once. */
  confFiles: ConfFileTexts;
  /** The app's template sources, read once. */
  templates: TemplateTexts;
  /** The app's secrets, read once on this machine before anything connects. */
  secrets: ResolvedSecrets;
  /** The hosts that may run `hooks.beforeSwitchOnce` when the app names a host or group, in the deploy's order. */
  runOnceHosts?: string[] | undefined;
  /** Webhooks told of the app's deploy or rollback: the inventory's, then the app's own, each URL once. */
  webhooks: Webhook[];
}

export interface DeployContext {
  inventory: Inventory;
  tasks: LoadedTasks;
  targets: AppTarget[];
}

/** The app's hosts within the command's target: the target, narrowed by the app's own `hosts` when it has one. */
function hostsOf(
  inventory: Inventory,
  targetHosts: readonly HostConfig[],
  app: { hosts?: string | undefined },
): HostConfig[] {
  if (!app.hosts) return [...targetHosts];
  const own = new Set(resolveTarget(inventory, app.hosts).map((h) => h.name));
  return targetHosts.filter((h) => own.has(h.name));
}

/** Loads and checks everything before any host is touched: bad input here exits 2 with every problem listed. */
export async function loadDeployContext(
  options: FleetContextOptions,
  target: string,
  appNames: readonly string[],
): Promise<DeployContext> {
  const inventory = loadFleetInventory(options, true);
  const targetHosts = retriedHosts(options, resolveTarget(inventory, target), target);
  const tasksDir = tasksDirOf(options);
  const tasks = await loadProjectTasks(options, { hostsFor: (app) => hostsOf(inventory, targetHosts, app) });
  const chosen = chooseApps(tasks, appNames, tasksDir);
  const targets = chosen
    .map((app) => {
      const hosts = hostsOf(inventory, targetHosts, app.spec);
      const leftOut = targetHosts.filter((h) => !hosts.includes(h)).map((h) => h.name);
      return { app, hosts, leftOut, runOnceHosts: runOnceHostsOf(inventory, app, hosts) };
    })
    // A retry redoes each named app where it has hosts to redo: one without any there is not an error.
    .filter((t) => t.hosts.length > 0 || (appNames.length > 0 && !options.retry));
  const empty = targets.filter((t) => t.hosts.length === 0);
  if (empty.length > 0) {
    const names = empty.map((t) => `'${t.app.spec.name}' (hosts = ${t.app.spec.hosts})`).join(', ');
    throw new UsageError(`app ${names} has no host in target '${target}'`);
  }
  if (targets.length === 0) {
    const known = tasks.apps.map((a) => a.spec.name).join(', ') || 'none';
    throw new UsageError(`no app to deploy to '${target}' (apps in ${tasksDir}/: ${known})`);
  }
  const rendered = renderedEverywhere(options, tasksDir, targets);
  return { inventory, tasks, targets: await withSecrets(options, inventory, rendered) };
}

/**
 * The deploy's hosts that may run the app's run-once hook when it names a host or a group (in the deploy's order):
 * none of them in the deploy is a usage error, said before anything connects.
 */
function runOnceHostsOf(inventory: Inventory, app: LoadedApp, hosts: readonly HostConfig[]): string[] | undefined {
  const named = app.spec.hooks.beforeSwitchOnce?.host;
  if (named === undefined || hosts.length === 0) return undefined;
  const where = `${app.file}: app '${app.spec.name}' hooks.beforeSwitchOnce.host`;
  let own: Set<string>;
  try {
    own = new Set(resolveTarget(inventory, named).map((h) => h.name));
  } catch (error) {
    throw new UsageError(`${where}: ${(error as Error).message}`, { cause: error });
  }
  const chosen = hosts.filter((h) => own.has(h.name)).map((h) => h.name);
  if (chosen.length > 0) return chosen;
  const deployed = hosts.map((h) => h.name).join(', ');
  throw new UsageError(`${where}: '${named}' names no host of this deploy (${deployed})`);
}

/**
 * Reads every app's secrets (env, file, command) and webhook URLs once; one that cannot be read stops the run, exit 2.
 */
async function withSecrets(
  options: FleetContextOptions,
  inventory: Inventory,
  targets: readonly Omit<AppTarget, 'secrets' | 'webhooks'>[],
): Promise<AppTarget[]> {
  const ready: AppTarget[] = [];
  const context = { project: options.cwd, env: options.env };
  const notify = inventory.notify;
  const common = notify ? await resolveWebhooks(notify.webhooks, { ...context, where: notify.where }) : [];
  for (const t of targets) {
    const where = `${t.app.file}: app '${t.app.spec.name}'`;
    const own = await resolveWebhooks(t.app.spec.notify ?? [], { ...context, where });
    ready.push({
      ...t,
      secrets: await resolveSecrets(t.app.spec.secrets, { ...context, where }),
      webhooks: distinctWebhooks([...common, ...own]),
    });
  }
  return ready;
}

/** The apps named on the command line (all when none is), refusing names no task file defines. */
function chooseApps(tasks: LoadedTasks, appNames: readonly string[], tasksDir: string): LoadedApp[] {
  const known = tasks.apps.map((a) => a.spec.name);
  const unknown = appNames.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const names = unknown.map((n) => `'${n}'`).join(', ');
    throw new UsageError(`no app named ${names} in ${tasksDir}/ (apps: ${known.join(', ') || 'none'})`);
  }
  return tasks.apps.filter((a) => appNames.length === 0 || appNames.includes(a.spec.name));
}

/** Reads conf files and renders every host's conf once now, so that a template problem stops everything first. */
function renderedEverywhere(
  options: FleetContextOptions,
  tasksDir: string,
  targets: readonly Omit<AppTarget, 'confFiles' | 'templates' | 'secrets' | 'webhooks'>[],
): Omit<AppTarget, 'secrets' | 'webhooks'>[] {
  const problems: string[] = [];
  const ready = targets.map((target) => {
    const { app, hosts } = target;
    const where = `${app.file}: app '${app.spec.name}'`;
    let confFiles: ConfFileTexts = new Map();
    let templates: TemplateTexts = new Map();
    try {
      confFiles = readConfFiles(app.spec, options.cwd);
      templates = readTemplates(app.spec, options.cwd);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      return { ...target, confFiles, templates };
    }
    // Secrets are read later (a template only needs their names to render now).
    const names = app.spec.secrets.map((s) => new SecretValue(s.name, ''));
    for (const host of hosts) {
      try {
        renderConf(app.spec, host, 'RELEASE', confFiles);
        appSpecFor(app.spec, host);
        releaseFilesFor(app.spec, host, templates, names);
      } catch (error) {
        problems.push(`${where} on ${host.name}: ${(error as Error).message}`);
      }
    }
    return { ...target, confFiles, templates };
  });
  if (problems.length > 0) {
    throw new ValidationError(`${tasksDir}/: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  }
  return ready;
}

/** The app's artifact, relative to the project (not to wherever the process was started). */
export function artifactSource(t: AppTarget, project: string): string {
  if (!t.app.spec.artifact) throw new UsageError(`${t.app.file}: app '${t.app.spec.name}' has no artifact to deploy`);
  return path.relative(process.cwd(), path.resolve(project, t.app.spec.artifact)) || '.';
}
