// What every SSH-using command starts from: the inventory's hosts for a target, and one connection pool.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { SecretValue } from '../secrets/values.ts';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from './global-options.ts';
import type { HostConfig, Inventory } from '../inventory/types.ts';
import { loadInventory, resolveTarget } from '../inventory/index.ts';
import { programTimeoutMs } from '../inventory/program.ts';
import { Fleet } from '../host/fleet.ts';
import { roundTripLines } from '../host/round-trips.ts';
import type { PassphrasePrompt } from '../host/fleet.ts';
import type { LoadedTasks, LoadOptions } from '../tasks/load.ts';
import { loadTasks } from '../tasks/load.ts';
import type { RetryPlan, RunJournal } from './run-journal.ts';
import { runPersistMs } from './persist-time.ts';

export const defaultConcurrency = 100;

export interface FleetContextOptions {
  globals: GlobalOptions;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Asks an encrypted key's passphrase; the CLI gives one when stdin is a terminal. */
  askPassphrase?: PassphrasePrompt | undefined;
  /** `--ask-sudo-pass`, as the CLI asked it (before any host is touched). */
  sudoPassword?: SecretValue | undefined;
  /** This run's journal (the CLI keeps one); multi-host commands record their hosts in it. */
  journal?: RunJournal | undefined;
  /** `convoy retry`: only these hosts of the target, and what the retried run fixed. */
  retry?: RetryPlan | undefined;
}

/**
 * The run's sudo password: as asked (`--ask-sudo-pass`), or the first line of `--sudo-pass-file`, which must be the
 * user's alone (mode 0600 or stricter), as ssh wants of a private key: a password readable by others is refused.
 */
export function sudoPasswordOf(options: FleetContextOptions): SecretValue | undefined {
  const file = options.globals.sudoPassFile;
  if (options.sudoPassword || file === undefined) return options.sudoPassword;
  const where = path.resolve(options.cwd, file);
  let stat;
  let text;
  try {
    stat = statSync(where);
    text = readFileSync(where, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--sudo-pass-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if ((stat.mode & 0o077) !== 0)
    throw new UsageError(
      `--sudo-pass-file ${file}: mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')} lets others read it; expected 0600 or stricter (chmod 600 ${file})`,
    );
  const password = text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  if (password === '')
    throw new UsageError(`--sudo-pass-file ${file}: its first line is empty; expected the sudo password`);
  return new SecretValue('sudo password', password);
}

/** The inventory file as given (-i, $CONVOY_INVENTORY or the default), made absolute. */
export function inventoryPath(options: FleetContextOptions): string {
  return path.resolve(options.cwd, options.globals.inventory);
}

/**
 * Loads and validates the inventory (an executable one is run, once: callers load it once per command); `~` is the
 * user's home. `connecting`: ssh config's `Match exec` commands run,
 * as ssh runs them when it connects; listing and checking hosts runs none (they then do not match).
 */
export function loadFleetInventory(options: FleetContextOptions, connecting = false): Inventory {
  return loadInventory(inventoryPath(options), {
    homeDir: options.env.HOME ?? os.homedir(),
    matchExec: connecting,
    programTimeoutMs: programTimeoutMs(options.env),
    bindAddress: options.globals.bindAddress,
  });
}

/** The tasks directory (--tasks) relative to the project, as messages name it. */
export function tasksDirOf(options: FleetContextOptions): string {
  return path.relative(options.cwd, path.resolve(options.cwd, options.globals.tasks)) || '.';
}

/**
 * Loads the inventory and resolves `target` (bad input throws before any connection); the inventory goes on to
 * openFleet, for the run's settings of [defaults] (`persist`).
 */
export function loadTarget(
  options: FleetContextOptions,
  target: string,
): { inventory: Inventory; hosts: HostConfig[] } {
  const inventory = loadFleetInventory(options, true);
  return { inventory, hosts: retriedHosts(options, resolveTarget(inventory, target), target) };
}

/** Under `convoy retry`, the target's hosts that the retried run left to redo; else every host of the target. */
export function retriedHosts(options: FleetContextOptions, hosts: HostConfig[], target: string): HostConfig[] {
  const only = options.retry?.hosts;
  if (!only) return hosts;
  const kept = hosts.filter((h) => only.has(h.name));
  if (kept.length === 0)
    throw new UsageError(
      `retry of run ${options.retry!.of}: none of its hosts to redo (${[...only].join(', ')}) is in '${target}' any more`,
    );
  return kept;
}

/**
 * The run's hosts: one session per host, connected on first use (bad settings are refused before any host).
 * `inventory`: the one the run loaded, whose [defaults] `persist` applies unless `--persist`/`--no-persist` says.
 */
export function openFleet(options: FleetContextOptions, inventory: Pick<Inventory, 'persistMs'>): Fleet {
  const { globals, env, cwd } = options;
  return Fleet.open({
    knownHostsFile: globals.knownHosts === undefined ? undefined : path.resolve(cwd, globals.knownHosts),
    acceptNewHostKeys: globals.acceptNewHostKeys === true,
    timeoutMs: globals.timeout,
    persistMs: runPersistMs(globals.persist, inventory),
    homeDir: env.HOME ?? os.homedir(),
    agentSocket: env.SSH_AUTH_SOCK || undefined,
    askPassphrase: options.askPassphrase,
    stepTimeoutMs: globals.stepTimeout,
    sudoPassword: sudoPasswordOf(options),
    // Benchmarks and tests read each host's round trips on stderr (docs/command-line.md); stdout stays the view's.
    onRoundTrips:
      env.CONVOY_COUNT_ROUND_TRIPS === '1' ? (counts) => process.stderr.write(roundTripLines(counts)) : undefined,
  });
}

/** The project's task files (--tasks, relative to the project), loaded and validated. */
export function loadProjectTasks(options: FleetContextOptions, load: LoadOptions = {}): Promise<LoadedTasks> {
  return loadTasks(tasksDirOf(options), { ...load, cwd: options.cwd });
}

/** The project's git commit and whether its tracked files have uncommitted changes, for the deploy record. */
export interface GitState {
  commit: string | undefined;
  dirty: boolean;
}

const execFileAsync = promisify(execFile);

/**
 * Both read at once, without blocking: a run starts this before loading its task files and awaits it after (git status
 * takes a while on a large checkout). Outside a git checkout or without git: no commit, not dirty.
 */
export async function gitState(cwd: string): Promise<GitState> {
  const git = (args: string[]) =>
    execFileAsync('git', args, { cwd, timeout: 5000, encoding: 'utf8' }).then(
      (r) => r.stdout,
      () => undefined,
    );
  const [head, status] = await Promise.all([
    git(['rev-parse', 'HEAD']),
    git(['status', '--porcelain', '--untracked-files=no']),
  ]);
  const commit = head?.trim();
  return { commit: commit && /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined, dirty: (status ?? '').length > 0 };
}
