// Opens a host's supervisord: find its conf, then XML-RPC over streamlocal, falling back to an exec relay.
import { scriptShell, stepScript } from '../shell/script.ts';
import type { HostConnection } from '../ssh/connection.ts';
import { SupervisorClient } from './client.ts';
import { confCandidates, findConfCommand, parseFindConfOutput, parseLayout, usualSocketPath } from './layout.ts';
import type { SupervisorLayout } from './layout.ts';
import {
  SocketAuthError,
  SocketOpenRefusedError,
  basicAuth,
  SupervisorUnavailableError,
  execTransport,
  streamlocalTransport,
} from './transport.ts';
import type { RelayAs, RpcTransport } from './transport.ts';

/** What Convoy needs to know about a host to reach its supervisord. */
export interface SupervisorHost {
  name: string;
  /** The inventory's `supervisor_conf`, when supervisord.conf is not in a standard place. */
  supervisorConf?: string | undefined;
  /** A conf only root may read (0600) is read through `sudo -n` (the inventory allows sudo, the login is not root). */
  readConfWithSudo?: boolean | undefined;
  /**
   * Where sudo is allowed but cannot be called from inside a login script (it wants a password or a terminal): runs
   * the conf search as root, a step of its own, when the login found nothing it can read. Resolves with stdout.
   */
  findConfAsRoot?: ((script: string) => Promise<string>) | undefined;
  /** How the exec relay runs, where sshd refuses streamlocal (as root when the host's privilege policy allows). */
  relayAs: RelayAs;
  /** How long one call may take (the host's step timeout); absent = no limit. */
  callTimeoutMs?: number | undefined;
}

/** A client whose host conf was read: deploy and setup need the include dir, not only the socket. */
export type LaidOutSupervisor = SupervisorClient & { readonly layout: SupervisorLayout };

/** Reads the host's supervisord.conf (the `supervisor_conf` setting, else the standard places). */
export async function discoverLayout(connection: HostConnection, host: SupervisorHost): Promise<SupervisorLayout> {
  // A script on stdin to `sh -s`, whatever the login shell (src/shell/script.ts).
  const result = await connection.exec(scriptShell, {
    stdin: stepScript(findConfCommand(host.supervisorConf, host.readConfWithSudo, true)),
  });
  const unreadable = /^unreadable=(.*)$/m.exec(result.stdout)?.[1];
  const found =
    parseFindConfOutput(result.stdout) ??
    (host.findConfAsRoot
      ? parseFindConfOutput(await host.findConfAsRoot(findConfCommand(host.supervisorConf)))
      : undefined);
  if (!found && unreadable !== undefined) throw unreadableConf(host, unreadable);
  if (!found) {
    const looked = host.supervisorConf ? host.supervisorConf : confCandidates.join(', ');
    throw new SupervisorUnavailableError(
      host.name,
      `${host.name}: no readable supervisord.conf (looked in ${looked}): run \`convoy setup ${host.name}\`, or set supervisor_conf in the inventory`,
    );
  }
  const parsed = parseLayout(found.confPath, found.text);
  if (!parsed.ok) throw new SupervisorUnavailableError(host.name, `${host.name}: ${parsed.problem}`);
  return parsed.layout;
}

/** A conf that exists but that neither the login nor (where allowed) `sudo -n` could read. */
function unreadableConf(host: SupervisorHost, confPath: string): SupervisorUnavailableError {
  const why = host.readConfWithSudo
    ? ', and sudo -n could not read it either: if sudo wants a password here, give it with --ask-sudo-pass or --sudo-pass-file'
    : ' and may not use sudo here: set sudo = true for this host';
  return new SupervisorUnavailableError(
    host.name,
    `${host.name}: ${confPath} exists but the login cannot read it${why}`,
  );
}

/**
 * A client on the first path that answers: streamlocal (no remote process per call), else the exec relay (through
 * sudo when the host has `sudo = true` and the login is not root). The relay's error names the real cause.
 */
export async function openSupervisor(
  connection: HostConnection,
  host: SupervisorHost,
  layout?: SupervisorLayout,
): Promise<LaidOutSupervisor> {
  const found = layout ?? (await discoverLayout(connection, host));
  const options = { callTimeoutMs: host.callTimeoutMs };
  const auth = basicAuth(found.credentials);
  const direct = new SupervisorClient(
    host.name,
    streamlocalTransport(connection, found.socketPath, auth),
    found,
    options,
  );
  try {
    await direct.getState();
    return direct as LaidOutSupervisor;
  } catch (error) {
    if (!(error instanceof SupervisorUnavailableError)) throw error;
  }
  const relay = execTransport(connection, found.socketPath, host.relayAs, auth);
  const relayed = new SupervisorClient(host.name, relay, found, options);
  await relayed.getState();
  return relayed as LaidOutSupervisor;
}

/**
 * A client for work that needs only supervisord's socket (status, control, logs); nothing is sent until its first
 * call. That call goes straight to the usual socket, with no remote process and no probe. Only when sshd cannot open
 * that socket is the host's conf read and the call retried the way `openSupervisor` finds (a channel that never
 * opened reached no supervisord, so the retry cannot run anything twice). An explicit `supervisor_conf` is always
 * read first.
 */
export function reachSupervisor(
  connection: HostConnection,
  host: SupervisorHost,
  /** The host's layout when the caller read it already: its socket (and password) instead of the usual one. */
  layout?: SupervisorLayout,
): SupervisorClient {
  const usual = layout
    ? streamlocalTransport(connection, layout.socketPath, basicAuth(layout.credentials))
    : host.supervisorConf
      ? undefined
      : streamlocalTransport(connection, usualSocketPath);
  let chosen: RpcTransport | undefined;
  let found: Promise<SupervisorClient> | undefined;
  const viaConf = async (body: string, signal?: AbortSignal) => {
    found ??= openSupervisor(connection, host, layout);
    found.catch(() => {
      found = undefined;
    });
    const client = await found;
    chosen = { kind: client.transportKind, post: (next, abandon) => client.post(next, abandon) };
    return chosen.post(body, signal);
  };
  const transport: RpcTransport = {
    get kind() {
      return (chosen ?? usual)?.kind ?? 'streamlocal';
    },
    post: async (body, signal) => {
      if (chosen) return chosen.post(body, signal);
      if (!usual) return viaConf(body, signal);
      try {
        const text = await usual.post(body, signal);
        chosen ??= usual;
        return text;
      } catch (error) {
        // A socket that asks for a password: the conf says which (read once, then every call carries it).
        const needsAuth = error instanceof SupervisorUnavailableError && error.cause instanceof SocketAuthError;
        if (!(error instanceof SocketOpenRefusedError) && !needsAuth) throw error;
      }
      return viaConf(body, signal);
    },
  };
  return new SupervisorClient(host.name, transport, undefined, { callTimeoutMs: host.callTimeoutMs });
}
