// Loads `tasks/*.ts|mts|js|mjs` at run time through tsx (no build step for the user), keeps every exported app and
// task, validates them, and throws one ValidationError listing every problem of every file.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, ValidationError } from '../errors.ts';
import { isAppDefinition, isTaskDefinition } from './brand.ts';
import { importBundled } from './compiled.ts';
import type { TaskFunction } from './define.ts';
import { nameProblem } from './names.ts';
import type { NormalisedApp } from './normalised.ts';
import { describe } from './shape.ts';
import type { HostVars } from './variables.ts';
import { validateApp } from './validate.ts';

export interface LoadedApp {
  /** The file as found: `<dir>/<name>`. */
  file: string;
  exportName: string;
  spec: NormalisedApp;
}

export interface LoadedTask {
  file: string;
  exportName: string;
  name: string;
  /** Where it runs when `convoy run` is given no target. */
  hosts?: string | undefined;
  run: TaskFunction;
}

export interface LoadedTasks {
  apps: LoadedApp[];
  tasks: LoadedTask[];
}

export interface LoadOptions {
  /** The hosts of an app's target, which every `{{var}}` must render on; undefined = not checked. May throw (a bad
   *  target), which becomes a problem of the app's `hosts`. */
  hostsFor?: (app: { name: string; hosts?: string }) => readonly HostVars[] | undefined;
  /** What a relative `dir` is relative to (the project); default the process's working directory. */
  cwd?: string;
}

// Direct children only; declaration files and hidden files (editor backups) are not task files.
const taskFile = /^[^.].*(?<!\.d)\.(?:ts|mts|js|mjs)$/;

export async function loadTasks(dir: string, options: LoadOptions = {}): Promise<LoadedTasks> {
  const label = dir.endsWith('/') ? dir : `${dir}/`;
  const files = await listTaskFiles(dir, label, options.cwd ?? process.cwd());
  const loaded: LoadedTasks = { apps: [], tasks: [] };
  if (files.length === 0) return loaded;
  const root = path.resolve(options.cwd ?? process.cwd(), dir);
  const load = nextLoad(root);
  let tsx: Promise<TsxLoader> | undefined;
  const problems: string[] = [];
  for (const file of files) {
    let exports: Record<string, unknown>;
    try {
      const absolute = path.resolve(options.cwd ?? process.cwd(), file);
      const bundled = await importBundled(absolute, load);
      if (bundled) exports = moduleExports(bundled);
      else {
        tsx ??= tsxLoader(root, load);
        const url = pathToFileURL(absolute).href;
        exports = moduleExports((await (await tsx).import(url, import.meta.url)) as Record<string, unknown>);
      }
    } catch (error) {
      problems.push(`${file}: cannot load: ${errorText(error)}`);
      continue;
    }
    collect(file, exports, options, loaded, problems);
  }
  problems.push(...duplicates(loaded));
  if (problems.length > 0)
    throw new ValidationError(`${label}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  return loaded;
}

/** Loads so far in this process, per tasks directory. */
const loadsOf = new Map<string, number>();

/** This process's next load of `dir`: each load imports the task files afresh. */
function nextLoad(dir: string): number {
  const load = (loadsOf.get(dir) ?? 0) + 1;
  loadsOf.set(dir, load);
  return load;
}

/**
 * tsx, for the task files that cannot be imported from a bundle (src/tasks/compiled.ts), in a namespace of this load:
 * fresh modules every time, and later dynamic imports from task code keep working. Its namespace is the same in every
 * process for the same directory and load: tsx keys its disk cache of compiled files on the code it compiled, which
 * names the namespace; a random one per run compiled every task file again (esbuild, ~0.2 s) and left one more cache
 * file each time. Imported here, not at the top: tsx brings esbuild and its hooks thread.
 */
type TsxLoader = { import(url: string, parent: string): Promise<unknown> };

async function tsxLoader(dir: string, load: number): Promise<TsxLoader> {
  const { register } = await import('tsx/esm/api');
  const digest = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return register({ namespace: `convoy-${digest}-${load}` });
}

// Sorted file paths; a missing directory means no tasks.
async function listTaskFiles(dir: string, label: string, cwd: string): Promise<string[]> {
  try {
    const entries = await readdir(path.resolve(cwd, dir), { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && taskFile.test(e.name))
      .map((e) => e.name)
      .sort()
      .map((name) => path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError(`${label}: cannot read the tasks directory: ${errorText(error)}`, { cause: error });
  }
}

/**
 * A task file in a project without `"type": "module"` is compiled as CommonJS; its ESM namespace then holds the real
 * exports under `default` (`{ default: { default: app, migrate: task } }`), so those are unwrapped.
 */
function moduleExports(namespace: Record<string, unknown>): Record<string, unknown> {
  const inner = namespace.default;
  if (inner === null || typeof inner !== 'object' || isAppDefinition(inner) || isTaskDefinition(inner))
    return namespace;
  const wrapped = Object.entries(inner as Record<string, unknown>);
  if (!wrapped.some(([, v]) => isAppDefinition(v) || isTaskDefinition(v))) return namespace;
  return {
    ...Object.fromEntries(Object.entries(namespace).filter(([k]) => k !== 'default')),
    ...Object.fromEntries(wrapped),
  };
}

// Every branded export, `default` first; one value exported under two names counts once.
function collect(
  file: string,
  exports: Record<string, unknown>,
  options: LoadOptions,
  loaded: LoadedTasks,
  problems: string[],
): void {
  const seen = new Set<unknown>();
  const names = Object.keys(exports).sort((a, b) => Number(b === 'default') - Number(a === 'default'));
  for (const exportName of names) {
    const value = exports[exportName];
    if (seen.has(value)) continue;
    seen.add(value);
    if (isAppDefinition(value)) {
      const app = loadApp(file, exportName, value as Record<string, unknown>, options, problems);
      if (app) loaded.apps.push(app);
    } else if (isTaskDefinition(value)) {
      const task = loadTask(file, exportName, value as Record<string, unknown>, problems);
      if (task) loaded.tasks.push(task);
    }
  }
}

function loadApp(
  file: string,
  exportName: string,
  value: Record<string, unknown>,
  options: LoadOptions,
  problems: string[],
): LoadedApp | undefined {
  const name = typeof value.name === 'string' ? value.name : undefined;
  const label = name === undefined ? `app (export '${exportName}')` : `app '${name}'`;
  const where = (p: string) => (p === '' ? `${file}: ${label}` : `${file}: ${label} ${p}`);
  let hosts: readonly HostVars[] | undefined;
  if (name !== undefined && options.hostsFor) {
    try {
      hosts = options.hostsFor({ name, ...(typeof value.hosts === 'string' ? { hosts: value.hosts } : {}) });
    } catch (error) {
      problems.push(`${where('hosts')}: ${errorText(error)}`);
      return undefined;
    }
  }
  const result = validateApp(value, hosts ? { hosts } : {});
  problems.push(...result.problems.map((p) => `${where(p.path)}: ${p.message}`));
  return result.app && { file, exportName, spec: result.app };
}

function loadTask(
  file: string,
  exportName: string,
  value: Record<string, unknown>,
  problems: string[],
): LoadedTask | undefined {
  const { name, run, hosts } = value;
  const label = `${file}: ${typeof name === 'string' ? `task '${name}'` : `task (export '${exportName}')`}`;
  const before = problems.length;
  if (typeof name !== 'string') problems.push(`${label} name: expected a string, got ${describe(name)}`);
  const badName = typeof name === 'string' ? nameProblem('task', name) : undefined;
  if (badName) problems.push(`${label} name: ${badName}`);
  if (typeof run !== 'function') problems.push(`${label} run: expected a function, got ${describe(run)}`);
  if (hosts !== undefined && (typeof hosts !== 'string' || hosts.trim() === '')) {
    problems.push(`${label} hosts: expected a target such as 'web', got ${describe(hosts)}`);
  }
  if (problems.length > before || typeof name !== 'string' || typeof run !== 'function') return undefined;
  return { file, exportName, name, ...(typeof hosts === 'string' ? { hosts } : {}), run: run as TaskFunction };
}

// Two apps in one root would share `current`, the lock and the record, and prune each other's releases.
function sharedRoots(apps: readonly LoadedApp[]): string[] {
  const problems: string[] = [];
  const owner = new Map<string, LoadedApp>();
  for (const app of apps) {
    const first = owner.get(app.spec.root);
    if (!first) owner.set(app.spec.root, app);
    else if (first.spec.name !== app.spec.name) {
      problems.push(
        `${app.file}: app '${app.spec.name}' root: ${app.spec.root} is also the root of app '${first.spec.name}' in ${first.file} ` +
          "(two apps in one root share `current` and prune each other's releases)",
      );
    }
  }
  return problems;
}

// Apps and tasks are found by name, and Supervisor merges same-named [program:x] sections silently.
function duplicates(loaded: LoadedTasks): string[] {
  const problems: string[] = [];
  const where = (item: { file: string; exportName: string }) => `${item.file} (export '${item.exportName}')`;
  const firstApp = new Map<string, LoadedApp>();
  const firstTask = new Map<string, LoadedTask>();
  const programOwner = new Map<string, LoadedApp>();
  for (const app of loaded.apps) {
    const first = firstApp.get(app.spec.name);
    if (first) problems.push(`${app.file}: app '${app.spec.name}': name already used by ${where(first)}`);
    else firstApp.set(app.spec.name, app);
    for (const program of app.spec.programs) {
      const owner = programOwner.get(program.name);
      if (owner && owner.spec.name !== app.spec.name) {
        problems.push(
          `${app.file}: app '${app.spec.name}' programs.${program.name}: also a program of app '${owner.spec.name}' in ${owner.file} ` +
            '(Supervisor would merge the two [program:x] sections)',
        );
      } else if (!owner) {
        programOwner.set(program.name, app);
      }
    }
  }
  problems.push(...sharedRoots(loaded.apps));
  for (const task of loaded.tasks) {
    const first = firstTask.get(task.name);
    if (first) problems.push(`${task.file}: task '${task.name}': name already used by ${where(first)}`);
    else firstTask.set(task.name, task);
  }
  return problems;
}

// An error's message on one line, as a problem is printed (esbuild puts the file:line:col on the second).
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}
