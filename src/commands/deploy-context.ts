// What `deploy`, `rollback` and `check` share: the inventory, the target's hosts per app, and loaded, validated apps.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.ts';
import type { HostConfig, Inventory } from '../inventory/types.ts';
import { resolveTarget } from '../inventory/index.ts';
import type { LoadedApp, LoadedTasks } from '../tasks/load.ts';
import { loadTasks } from '../tasks/load.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import { generateAppConf } from '../deploy/confgen.ts';
import { renderTemplate } from '../deploy/templates.ts';
import { escapePercent } from '../tasks/supervisor-values.ts';
import { shellQuote } from '../ssh/quote.ts';
import type { DeployAppSpec } from '../deploy/host-deploy.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { loadFleetInventory, tasksDirOf } from './fleet-context.ts';

export interface AppTarget {
  app: LoadedApp;
  hosts: HostConfig[];
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
  const inventory = loadFleetInventory(options);
  const targetHosts = resolveTarget(inventory, target);
  const tasksDir = tasksDirOf(options);
  const tasks = await loadTasks(tasksDir, { hostsFor: (app) => hostsOf(inventory, targetHosts, app) });
  const known = tasks.apps.map((a) => a.spec.name);
  const unknown = appNames.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `no app named ${unknown.map((n) => `'${n}'`).join(', ')} in ${tasksDir}/ (apps: ${known.join(', ') || 'none'})`,
    );
  }
  const chosen = tasks.apps.filter((a) => appNames.length === 0 || appNames.includes(a.spec.name));
  const targets = chosen
    .map((app) => ({ app, hosts: hostsOf(inventory, targetHosts, app.spec) }))
    .filter((t) => t.hosts.length > 0 || appNames.length > 0);
  const empty = targets.filter((t) => t.hosts.length === 0);
  if (empty.length > 0)
    throw new UsageError(
      `app ${empty.map((t) => `'${t.app.spec.name}' (hosts = ${t.app.spec.hosts})`).join(', ')} has no host in target '${target}'`,
    );
  if (targets.length === 0)
    throw new UsageError(`no app to deploy to '${target}' (apps in ${tasksDir}/: ${known.join(', ') || 'none'})`);
  // Render every host's conf once now, so that a template problem stops everything before a connection.
  const problems: string[] = [];
  for (const { app, hosts } of targets) {
    for (const host of hosts) {
      try {
        renderConf(app.spec, host, 'RELEASE', options.cwd);
        appSpecFor(app.spec, host);
      } catch (error) {
        problems.push(`${app.file}: app '${app.spec.name}' on ${host.name}: ${(error as Error).message}`);
      }
    }
  }
  if (problems.length > 0)
    throw new ValidationError(`${tasksDir}/: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  return { inventory, tasks, targets };
}

export function templateVars(app: NormalisedApp, host: HostConfig, release: string): Record<string, string> {
  return {
    ...host.vars,
    host: host.name,
    address: host.address,
    user: host.user,
    app: app.name,
    root: app.root,
    release,
  };
}

const confFileCache = new Map<string, string>();

function readConfFile(file: string): string {
  let text = confFileCache.get(file);
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`confFiles: ${file} not found`);
    }
    confFileCache.set(file, text);
  }
  return text;
}

/**
 * The app's .conf for one host: generated from `programs`, then each hand-written `confFiles` entry (paths relative to
 * the project) with its `{{…}}` rendered and `%` in the inserted values escaped. Hand-written sections should belong
 * to the app's group (`[group:<app>]` or `[program:<app>]`): only that group is applied.
 */
export function renderConf(app: NormalisedApp, host: HostConfig, release: string, project = process.cwd()): string {
  const generated =
    app.programs.length > 0
      ? generateAppConf(app, {
          host: { name: host.name, address: host.address, user: host.user, vars: host.vars },
          release,
        })
      : '';
  const vars = templateVars(app, host, release);
  const handWritten = app.confFiles.map((file) => {
    const text = readConfFile(path.resolve(project, file));
    return `; from ${file}\n${renderTemplate(text, vars, { literal: (t) => t, value: (t) => escapePercent(t, { keepExpansions: false, passes: 1 }) })}`;
  });
  return [generated, ...handWritten].filter(Boolean).join('\n');
}

/**
 * The app as one host runs it: hooks and health check rendered with that host's variables. Hooks and a health check
 * command are shell lines, so each value goes in as one quoted word: a variable is data there, never code.
 */
export function appSpecFor(app: NormalisedApp, host: HostConfig): DeployAppSpec {
  const vars = templateVars(app, host, 'current');
  const plain = (text: string | undefined) => (text === undefined ? undefined : renderTemplate(text, vars));
  const render = (text: string | undefined) =>
    text === undefined ? undefined : renderTemplate(text, vars, { literal: (t) => t, value: shellQuote });
  const hc = app.healthcheck;
  const startsecs = Math.max(1, ...app.programs.map((p) => p.startsecs));
  const retries = Math.max(0, ...app.programs.map((p) => p.startretries));
  return {
    name: app.name,
    root: app.root,
    keepReleases: app.keepReleases,
    logDir: renderTemplate(app.logDir, vars),
    hooks: {
      afterUpload: render(app.hooks.afterUpload),
      beforeSwitch: render(app.hooks.beforeSwitch),
      afterSwitch: render(app.hooks.afterSwitch),
    },
    healthcheck: hc && {
      http: hc.kind === 'http' ? plain(hc.target) : undefined,
      tcp: hc.kind === 'tcp' ? plain(hc.target) : undefined,
      command: hc.kind === 'command' ? render(hc.target) : undefined,
      timeoutMs: hc.timeoutMs,
      intervalMs: hc.intervalMs,
    },
    // Long enough for supervisord's own retries (startsecs each, then back-off 1 s, 2 s, 3 s, …) to end in RUNNING or FATAL.
    startTimeoutMs: ((startsecs + 1) * (retries + 1) + (retries * (retries + 1)) / 2 + 5) * 1000,
    settleMs: 1000,
  };
}
