// Runs work against each host's supervisord: one SSH connection per host, one client per host, outcomes as values.
import type { ConnectionPool } from '../ssh/pool.ts';
import type { SshTarget } from '../ssh/connect.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { SupervisorHost } from '../supervisor/open.ts';
import { openSupervisor } from '../supervisor/open.ts';
import type { Judged, RunOptions } from './run-on-hosts.ts';
import { runOnHosts } from './run-on-hosts.ts';

export type FleetHost = SshTarget & SupervisorHost;

export function runOnSupervisors<H extends FleetHost, T>(
  pool: ConnectionPool,
  hosts: readonly H[],
  options: RunOptions,
  work: (client: SupervisorClient, host: H) => Promise<Judged<T>>,
) {
  return runOnHosts(hosts, options, async (host) => {
    const connection = await pool.get(host);
    const client = await openSupervisor(connection, host);
    return work(client, host);
  });
}
