// Runs work against each host's supervisord: one SSH connection per host, one client per host, outcomes as values.
import type { ConnectionPool } from '../ssh/pool.ts';
import type { SshTarget } from '../ssh/connect.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { SupervisorHost } from '../supervisor/open.ts';
import { reachSupervisor } from '../supervisor/open.ts';
import type { Judged, RunOptions } from './run-on-hosts.ts';
import { runOnHosts } from './run-on-hosts.ts';

export type FleetHost = SshTarget & SupervisorHost;

/** Per-host work that gets the host's supervisord client (over the host's one pooled connection). */
export function withSupervisor<H extends FleetHost, T>(
  pool: ConnectionPool,
  work: (client: SupervisorClient, host: H) => Promise<Judged<T>>,
) {
  return async (host: H): Promise<Judged<T>> => {
    const connection = await pool.get(host);
    return work(await reachSupervisor(connection, host), host);
  };
}

export function runOnSupervisors<H extends FleetHost, T>(
  pool: ConnectionPool,
  hosts: readonly H[],
  options: RunOptions,
  work: (client: SupervisorClient, host: H) => Promise<Judged<T>>,
) {
  return runOnHosts(hosts, options, withSupervisor(pool, work));
}
