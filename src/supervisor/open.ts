// Opens a host's supervisord: find its conf, then XML-RPC over streamlocal, falling back to an exec relay.
import type { SshConnection } from '../ssh/connection.ts';
import { SupervisorClient } from './client.ts';
import { confCandidates, findConfCommand, parseFindConfOutput, parseLayout } from './layout.ts';
import type { SupervisorLayout } from './layout.ts';
import { SupervisorUnavailableError, execTransport, streamlocalTransport } from './transport.ts';

/** What Convoy needs to know about a host to reach its supervisord (a subset of the inventory's HostConfig). */
export interface SupervisorHost {
  name: string;
  user: string;
  sudo: boolean;
  supervisorConf?: string | undefined;
}

/** Reads the host's supervisord.conf (the `supervisor_conf` setting, else the standard places). */
export async function discoverLayout(connection: SshConnection, host: SupervisorHost): Promise<SupervisorLayout> {
  const result = await connection.exec(findConfCommand(host.supervisorConf));
  const found = parseFindConfOutput(result.stdout);
  if (!found) {
    const looked = host.supervisorConf ? host.supervisorConf : confCandidates.join(', ');
    throw new SupervisorUnavailableError(host.name, `${host.name}: no readable supervisord.conf (looked in ${looked}): run \`convoy setup ${host.name}\`, or set supervisor_conf in the inventory`);
  }
  const parsed = parseLayout(found.confPath, found.text);
  if (!parsed.ok) throw new SupervisorUnavailableError(host.name, `${host.name}: ${parsed.problem}`);
  return parsed.layout;
}

/**
 * A client on the first path that answers: streamlocal (no remote process per call), else the exec relay (through
 * sudo when the host has `sudo = true` and the login is not root). The relay's error names the real cause.
 */
export async function openSupervisor(connection: SshConnection, host: SupervisorHost, layout?: SupervisorLayout): Promise<SupervisorClient> {
  const found = layout ?? (await discoverLayout(connection, host));
  const direct = new SupervisorClient(host.name, streamlocalTransport(connection, found.socketPath), found);
  try {
    await direct.getState();
    return direct;
  } catch (error) {
    if (!(error instanceof SupervisorUnavailableError)) throw error;
  }
  const relayed = new SupervisorClient(host.name, execTransport(connection, found.socketPath, host.sudo && host.user !== 'root'), found);
  await relayed.getState();
  return relayed;
}
