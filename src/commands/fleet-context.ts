// What every SSH-using command starts from: the inventory's hosts for a target, and one connection pool.
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from './global-options.ts';
import type { HostConfig, Inventory } from '../inventory/types.ts';
import { loadInventory, resolveTarget } from '../inventory/index.ts';
import { ConnectionPool } from '../ssh/pool.ts';
import { UsageError } from '../errors.ts';
import { KnownHostsStore } from '../ssh/known-hosts-store.ts';
import { timeoutsFromFlag } from '../ssh/connect.ts';

export const defaultConcurrency = 100;

export interface FleetContextOptions {
  globals: GlobalOptions;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The inventory file as given (-i, $CONVOY_INVENTORY or the default), made absolute. */
export function inventoryPath(options: FleetContextOptions): string {
  return path.resolve(options.cwd, options.globals.inventory);
}

/** Loads and validates the inventory; `~` is the user's home. */
export function loadFleetInventory(options: FleetContextOptions): Inventory {
  return loadInventory(inventoryPath(options), { homeDir: options.env.HOME ?? os.homedir() });
}

/** The tasks directory (--tasks) relative to the project, as messages name it. */
export function tasksDirOf(options: FleetContextOptions): string {
  return path.relative(options.cwd, path.resolve(options.cwd, options.globals.tasks)) || '.';
}

/** Loads the inventory and resolves `target` (bad input throws before any connection). */
export function targetHosts(options: FleetContextOptions, target: string): HostConfig[] {
  return resolveTarget(loadFleetInventory(options), target);
}

/** OpenSSH's and Ansible's usual: 10 s for the handshake; keepalives every 15 s, lost after 3 unanswered. */
export const defaultTimeouts = { connectTimeoutMs: 10_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 3 };

/** Where the `--persist` process listens: in the user's own ~/.convoy (mode 0700). */
export function persistSocketPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.HOME ?? os.homedir(), '.convoy', 'persist.sock');
}

export function createPool(options: FleetContextOptions): ConnectionPool {
  const { globals, env, cwd } = options;
  const persist = globals.persist ? { socketPath: persistSocketPath(env), idleMs: globals.persist } : undefined;
  // Linux's limit for a unix socket path is 107 bytes; said before any host is touched.
  if (persist && Buffer.byteLength(persist.socketPath) > 100)
    throw new UsageError(
      `--persist: the socket path ${persist.socketPath} is too long for a unix socket (over 100 bytes): use a shorter HOME`,
    );
  return new ConnectionPool(
    {
      knownHosts: new KnownHostsStore(),
      knownHostsFile: globals.knownHosts === undefined ? undefined : path.resolve(cwd, globals.knownHosts),
      acceptNewHostKeys: globals.acceptNewHostKeys === true,
      ...defaultTimeouts,
      override: globals.timeout === undefined ? undefined : timeoutsFromFlag(globals.timeout),
      agentSocket: env.SSH_AUTH_SOCK || undefined,
      homeDir: env.HOME ?? os.homedir(),
    },
    { persist },
  );
}
