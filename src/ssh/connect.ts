// Opens one authenticated SSH connection: host key checked against known_hosts, keys from files and the agent.
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod } from 'ssh2';
import { authPlan, maxKeysOffered } from './auth.ts';
import type { AuthPlan } from './auth.ts';
import { SshConnection } from './connection.ts';
import { SshError, toSshError } from './errors.ts';
import { Keyring, PassphraseError } from './identities.ts';
import { fingerprint, keyTypeOfBlob, knownHostName, knownKeyTypes, verifyHostKey } from './known-hosts.ts';
import type { HostKeyVerdict, KnownHostEntry } from './known-hosts.ts';
import type { KnownHostsStore } from './known-hosts-store.ts';
import { expandProxyCommand, startProxyCommand } from './proxy-command.ts';
import type { ProxiedSocket } from './proxy-command.ts';

/** The part of an inventory host that SSH needs (the inventory's HostConfig has this shape). */
export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  identityFiles: readonly string[];
  jump?: SshTarget | undefined;
  knownHosts?: string | undefined;
  /** The host's own timeouts (inventory); absent = ConnectSettings'. */
  connectTimeoutMs?: number | undefined;
  serverAliveIntervalMs?: number | undefined;
  serverAliveCountMax?: number | undefined;
  /** ~/.ssh/config's IdentitiesOnly, IdentityAgent, UserKnownHostsFile, HostKeyAlias, BindAddress, ProxyCommand. */
  identitiesOnly?: boolean | undefined;
  identityAgent?: string | undefined;
  userKnownHostsFiles?: readonly string[] | undefined;
  hostKeyAlias?: string | undefined;
  bindAddress?: string | undefined;
  proxyCommand?: string | undefined;
  /** Named when authentication fails: ssh2 cannot offer certificates. */
  certificateFiles?: readonly string[] | undefined;
  /** `transport = openssh`: the system `ssh` through one ControlMaster per host (src/ssh/openssh.ts); absent = ssh2. */
  transport?: Transport | undefined;
  /** The name ~/.ssh/config was searched for (the inventory's address, else the host's name): OpenSSH's destination. */
  sshName?: string | undefined;
}

/** How a host is reached: ssh2 in this process (the default), or the system OpenSSH client. */
export type Transport = 'ssh2' | 'openssh';

/** How long a host may stay silent: during the handshake, then between keepalives on an open connection. */
export interface SshTimeouts {
  connectTimeoutMs: number;
  /** 0 = no keepalives (a silent host is never declared lost). */
  serverAliveIntervalMs: number;
  /** Keepalives left unanswered before the next tick declares the host lost (OpenSSH's ServerAliveCountMax). */
  serverAliveCountMax: number;
}

export interface ConnectSettings {
  knownHosts: KnownHostsStore;
  /** `--known-hosts`: wins over the inventory's `known_hosts` and ~/.ssh/known_hosts. */
  knownHostsFile?: string | undefined;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  serverAliveIntervalMs: number;
  /** Default 3. */
  serverAliveCountMax?: number | undefined;
  /** `--timeout`: wins over every host's own timeouts. */
  override?: SshTimeouts | undefined;
  /** ssh-agent socket (SSH_AUTH_SOCK), tried after the identity files. */
  agentSocket?: string | undefined;
  homeDir?: string | undefined;
  /** The run's identity files, shared by its connections (one passphrase prompt per key); default: no prompt. */
  keys?: Keyring | undefined;
  /** For IdentityAgent `$VAR`; default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

// ECDH on P-256 first: sshd does it with OpenSSL's constant-time P-256, ~2 ms of server CPU less per handshake
// than OpenSSH's portable curve25519 code (11% faster connects across 200 hosts, measured). Same 128-bit strength;
// a server that disables the NIST curves negotiates curve25519 next.
const kexAlgorithms = [
  'ecdh-sha2-nistp256',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
];
const hostKeyAlgorithms = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export function describeTarget(target: SshTarget): string {
  const where =
    target.address === target.name
      ? target.name
      : `${target.name} (${target.address}${target.port === 22 ? '' : `:${target.port}`})`;
  return `${target.user}@${where}`;
}

/** The timeouts for one host: `--timeout`, else the inventory's, else the command's defaults. */
export function timeoutsFor(target: SshTarget, settings: ConnectSettings): SshTimeouts {
  if (settings.override) return settings.override;
  return {
    connectTimeoutMs: target.connectTimeoutMs ?? settings.connectTimeoutMs,
    serverAliveIntervalMs: target.serverAliveIntervalMs ?? settings.serverAliveIntervalMs,
    serverAliveCountMax: target.serverAliveCountMax ?? settings.serverAliveCountMax ?? 3,
  };
}

/** `--timeout T`: the handshake within T, and a host silent for T on an open connection is lost (4 ticks of T/4). */
export function timeoutsFromFlag(ms: number): SshTimeouts {
  return { connectTimeoutMs: ms, serverAliveIntervalMs: Math.max(1, Math.round(ms / 4)), serverAliveCountMax: 3 };
}

/**
 * The known_hosts files for a host, new keys going to the first: `--known-hosts`, else the inventory's
 * `known_hosts`, else ssh config's UserKnownHostsFile list (`none` skipped), else ~/.ssh/known_hosts.
 */
export function knownHostsFilesFor(target: SshTarget, settings: ConnectSettings): string[] {
  const only = settings.knownHostsFile ?? target.knownHosts;
  if (only !== undefined) return [only];
  const listed = (target.userKnownHostsFiles ?? []).filter((f) => f !== 'none');
  return listed.length > 0 ? listed : [path.join(settings.homeDir ?? os.homedir(), '.ssh', 'known_hosts')];
}

/** One connection being opened: the host, and what its host key check and its messages need. */
interface Attempt {
  target: SshTarget;
  settings: ConnectSettings;
  /** `user@name (address:port)`, how messages name the host. */
  where: string;
  timeouts: SshTimeouts;
  /** The known_hosts files read; new keys go to the first. The name looked up and recorded (HostKeyAlias). */
  knownFiles: string[];
  knownFile: string;
  hostName: string;
}

/** What the client offers: the socket to run over (else TCP), the keys to try, the host key types in order. */
interface Handshake {
  sock: Readable | undefined;
  auth: AnyAuthMethod[];
  preferred: string[];
  plan: AuthPlan;
  proxy?: ProxiedSocket | undefined;
  /** Set once the key exchange is done: a failure from then until ready happened while keys were tried. */
  authenticating?: boolean;
}

/** Opens and authenticates a connection to `target`, over `sock` when given (a channel through a jump host). */
export async function connect(target: SshTarget, settings: ConnectSettings, sock?: Readable): Promise<SshConnection> {
  const knownFiles = knownHostsFilesFor(target, settings);
  const attempt: Attempt = {
    target,
    settings,
    where: describeTarget(target),
    timeouts: timeoutsFor(target, settings),
    knownFiles,
    knownFile: knownFiles[0] ?? '',
    // OpenSSH looks a HostKeyAlias up as it is, without the port.
    hostName: target.hostKeyAlias ?? knownHostName(target.address, target.port),
  };
  const plan = await authPlanFor(attempt);
  if (plan.methods.length === 0) {
    const what =
      plan.locked.length > 0
        ? plan.locked.join('; ')
        : 'set `identity` in the inventory, add an IdentityFile in ~/.ssh/config, or start ssh-agent (SSH_AUTH_SOCK)';
    throw new SshError('auth', target.name, `${attempt.where}: no key to offer: ${what}`);
  }
  const known = knownKeyTypes(settings.knownHosts.entries(knownFiles), attempt.hostName);
  const preferred = [...hostKeyAlgorithms].sort((a, b) => rankAlgorithm(a, known) - rankAlgorithm(b, known));
  // ProxyCommand only for a direct connection: a jump host's channel is the connection otherwise.
  const proxy =
    sock === undefined && target.proxyCommand !== undefined && target.proxyCommand !== 'none'
      ? startProxyCommand(expandProxyCommand(target.proxyCommand, target))
      : undefined;
  const { locked } = plan;
  return handshake(attempt, { sock: proxy?.sock ?? sock, auth: plan.methods, preferred, plan, proxy }).catch(
    (error: unknown) => {
      // The server took none of the keys offered: the encrypted ones left out may be the ones it wanted.
      if (error instanceof SshError && error.kind === 'auth' && locked.length > 0) {
        throw new SshError('auth', target.name, `${error.message} (not offered: ${locked.join('; ')})`, {
          cause: error.cause,
        });
      }
      throw error;
    },
  );
}

/** Connects the ssh2 client; settles once, with the connection when ready, else with the reason it failed. */
function handshake(attempt: Attempt, how: Handshake): Promise<SshConnection> {
  const { target, where, timeouts } = attempt;
  // ssh2 reports a refused host key as a plain handshake failure; the verifier keeps the reason here.
  let refusal: SshError | undefined;
  let verifiedKey: Buffer | undefined;
  return new Promise<SshConnection>((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.end();
      const mapped =
        refusal ?? explained(attempt, how, toSshError(error, target.name, where, timeouts.connectTimeoutMs));
      if (!how.proxy || refusal) {
        reject(mapped);
        return;
      }
      // A ProxyCommand that ended is the reason: wait briefly for its exit status and stderr, then stop it.
      const proxy = how.proxy;
      void proxy.ended(1000).then((ended) => {
        proxy.stop();
        reject(ended && !how.authenticating ? proxyFailure(attempt, ended, proxy.stderr(), mapped) : mapped);
      });
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('error', fail);
      client.removeListener('close', onEarlyClose);
      // Small request/response exchanges (XML-RPC, exec) must not wait for Nagle + delayed ACK (~40 ms each).
      client.setNoDelay(true);
      resolve(new SshConnection(target.name, client, where, timeouts, verifiedKey));
    });
    const onEarlyClose = () => fail(new Error('Connection lost before handshake'));
    client.on('error', fail);
    client.once('close', onEarlyClose);
    const verifier = verifierFor(attempt, (reason) => (refusal = reason));
    // Kept for fan-out (src/deploy/fanout.ts): relays pin the key this connection checked.
    const hostVerifier = (blob: Buffer) => {
      const ok = verifier(blob);
      if (ok) verifiedKey = blob;
      return ok;
    };
    if (how.proxy) client.once('close', how.proxy.stop);
    client.once('handshake', () => (how.authenticating = true));
    client.connect(clientConfig(attempt, how, hostVerifier));
  });
}

/** The ProxyCommand ended before the SSH handshake: not worth a retry, and what it printed says why. */
function proxyFailure({ target, where }: Attempt, ended: string, stderr: string, cause: SshError): SshError {
  const said = stderr ? `: ${stderr}` : '';
  return new SshError(
    'proxy-command',
    target.name,
    `${where}: ProxyCommand '${target.proxyCommand ?? ''}' ${ended} before the SSH handshake${said}`,
    { cause },
  );
}

/** An auth failure says which keys were left out and why; a ProxyCommand failure shows what the command said. */
function explained({ target, where }: Attempt, how: Handshake, error: SshError): SshError {
  const notes: string[] = [];
  const { offered, available } = how.plan.count;
  // sshd ends the connection at MaxAuthTries ("Too many authentication failures"), which is not an auth error to
  // ssh2: what counts is that keys were refused, once the transport was up.
  if ((error.kind === 'auth' || how.authenticating) && available > offered)
    notes.push(
      `offered ${offered} of ${available} keys (sshd's MaxAuthTries allows ${maxKeysOffered}): name the key with IdentityFile and IdentitiesOnly yes in ~/.ssh/config, or \`identity\` in the inventory`,
    );
  if (error.kind === 'auth' && target.certificateFiles?.length)
    notes.push(
      `~/.ssh/config sets CertificateFile ${target.certificateFiles.join(', ')}: the ssh2 transport cannot offer certificates, so it was not used; set \`transport = openssh\` for ${target.name} in the inventory to log in with it`,
    );
  const stderr = how.proxy?.stderr();
  if (how.proxy && error.kind !== 'auth' && !how.authenticating)
    notes.push(`through ProxyCommand '${target.proxyCommand ?? ''}'${stderr ? `, which said: ${stderr}` : ''}`);
  if (notes.length === 0) return error;
  const message = `${error.message} (${notes.join('; ')})`;
  return new SshError(error.kind, target.name, message.startsWith(where) ? message : `${where}: ${message}`, {
    cause: error,
    unreachable: error.unreachable,
  });
}

function clientConfig(
  { target, timeouts }: Attempt,
  how: Handshake,
  hostVerifier: (blob: Buffer) => boolean,
): ssh2.ConnectConfig {
  return {
    host: target.address,
    port: target.port,
    username: target.user,
    sock: how.sock,
    localAddress: target.bindAddress,
    hostVerifier,
    authHandler: how.auth,
    readyTimeout: timeouts.connectTimeoutMs,
    keepaliveInterval: timeouts.serverAliveIntervalMs,
    keepaliveCountMax: timeouts.serverAliveCountMax,
    algorithms: {
      kex: kexAlgorithms as ssh2.KexAlgorithm[],
      serverHostKey: how.preferred as ssh2.ServerHostKeyAlgorithm[],
    },
  };
}

/** Checks the offered key against known_hosts as read now; a new key is recorded only when new keys are accepted. */
function verifierFor(attempt: Attempt, refuse: (reason: SshError) => void): (blob: Buffer) => boolean {
  const { settings, knownFile, hostName } = attempt;
  return (blob) => {
    const verdict = verifyHostKey(settings.knownHosts.entries(attempt.knownFiles), hostName, blob);
    if (verdict.status === 'match') return true;
    const refusal = hostKeyRefusal(attempt, verdict, blob);
    if (refusal) {
      refuse(refusal);
      return false;
    }
    settings.knownHosts.record(knownFile, hostName, blob);
    return true;
  };
}

/** What a host key refusal reads of the attempt. */
export type KeyCheck = Pick<Attempt, 'target' | 'where' | 'knownFile' | 'hostName'> & {
  settings: Pick<ConnectSettings, 'acceptNewHostKeys'>;
};

/**
 * Why the offered key is refused: revoked, changed (any other key known for the host, of any type: OpenSSH's
 * "REMOTE HOST IDENTIFICATION HAS CHANGED"), or unknown without --accept-new-host-keys; else undefined.
 */
export function hostKeyRefusal(
  attempt: KeyCheck,
  verdict: Exclude<HostKeyVerdict, { status: 'match' }>,
  blob: Buffer,
): SshError | undefined {
  const { target, where, knownFile, hostName } = attempt;
  const offered = `${keyTypeOfBlob(blob)} ${fingerprint(blob)}`;
  if (verdict.status === 'changed') {
    const known = verdict.known.map((e) => `${e.file}:${e.line} (${e.keyType} ${fingerprint(e.keyBlob)})`).join(', ');
    // Known types are asked for first (rankAlgorithm): a host that offers another type has none of them, or says so.
    const otherType = verdict.known.every((e) => e.keyType !== keyTypeOfBlob(blob))
      ? ', a key of another type: Convoy asks for the known type first, and the host did not offer it'
      : '';
    return new SshError(
      'host-key-changed',
      target.name,
      `${where}: REFUSED: the host key has CHANGED. Known: ${known}; offered: ${offered}${otherType}. ` +
        `Someone may be intercepting the connection, or the host was reinstalled. Check with the host's owner, then remove the old key: ssh-keygen -R '${hostName}' -f ${knownFile}`,
    );
  }
  if (verdict.status === 'revoked') {
    return new SshError(
      'host-key-revoked',
      target.name,
      `${where}: REFUSED: the host offered a key marked @revoked in ${verdict.entry.file}:${verdict.entry.line} (${offered})`,
    );
  }
  if (verdict.status === 'cert-authority') return certificateOnly(attempt, verdict.entry);
  if (attempt.settings.acceptNewHostKeys) return undefined;
  return new SshError(
    'host-key-unknown',
    target.name,
    `${where}: REFUSED: unknown host key ${offered} (not in ${knownFile}). ` +
      'Verify it, then pass --accept-new-host-keys once to record it.',
  );
}

/**
 * The host is known only through an @cert-authority line: OpenSSH would check its host certificate against that CA,
 * which ssh2 cannot. Refused even with --accept-new-host-keys (recording the bare key would bypass the CA's trust).
 */
function certificateOnly({ target, where }: KeyCheck, entry: KnownHostEntry): SshError {
  return new SshError(
    'host-key-unknown',
    target.name,
    `${where}: REFUSED: the host is known only through the @cert-authority line ${entry.file}:${entry.line} (a CA-signed host key), ` +
      `which the ssh2 transport cannot check: set \`transport = openssh\` for ${target.name} in the inventory (its [host:…] or a group), so that OpenSSH verifies the host certificate`,
  );
}

function rankAlgorithm(algorithm: string, knownTypes: readonly string[]): number {
  const type = algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm;
  const index = knownTypes.indexOf(type);
  return index < 0 ? knownTypes.length : index;
}

/** The keyring of connections made without one (the persist process, tests): the agent, no prompt. */
const unattended = new Map<string, Keyring>();

function keyringOf(settings: ConnectSettings): Keyring {
  if (settings.keys) return settings.keys;
  const socket = settings.agentSocket ?? '';
  let keys = unattended.get(socket);
  if (!keys) {
    keys = new Keyring({ agentSocket: settings.agentSocket });
    unattended.set(socket, keys);
  }
  return keys;
}

/** The keys this connection offers (src/ssh/auth.ts), identity files read through the run's keyring. */
async function authPlanFor({ target, settings, where }: Attempt): Promise<AuthPlan & { locked: string[] }> {
  try {
    return await authPlan(target, settings, keyringOf(settings));
  } catch (error) {
    if (error instanceof PassphraseError) {
      throw new SshError('auth', target.name, `${where}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
