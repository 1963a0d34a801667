// The hosts of one run: one session per host over one pooled connection, opened on first use and closed together.
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { HostOutcome, Judged, RunOptions, RunSummary } from '../orchestration/run-on-hosts.ts';
import { runOnHosts } from '../orchestration/run-on-hosts.ts';
import { timeoutsFromFlag } from '../ssh/connect.ts';
import { Keyring } from '../ssh/identities.ts';
import type { PassphrasePrompt } from '../ssh/identities.ts';
import { KnownHostsStore } from '../ssh/known-hosts-store.ts';
import { muxProtocolVersion } from '../ssh/mux/protocol.ts';
import { preparePersistDir } from '../ssh/mux/trust.ts';
import type { PoolOptions } from '../ssh/pool.ts';
import { ConnectionPool } from '../ssh/pool.ts';
import type { SecretValue } from '../secrets/values.ts';
import type { RoundTrips } from './round-trips.ts';
import { HostSession } from './session.ts';

// The CLI supplies the prompt; commands name its type from here, as they may not reach into src/ssh.
export type { PassphrasePrompt, PassphraseQuestion } from '../ssh/identities.ts';

/** How a run connects: the global options, as the command line and the environment gave them. */
export interface FleetSettings {
  /** `--known-hosts`, absolute: wins over the inventory's `known_hosts` and ~/.ssh/known_hosts. */
  knownHostsFile?: string | undefined;
  acceptNewHostKeys: boolean;
  /** `--timeout`, in ms: wins over every host's connect_timeout and server_alive_* settings. */
  timeoutMs?: number | undefined;
  /** `--persist`, in ms: connections kept open this long after the last use, by a background process. */
  persistMs?: number | undefined;
  homeDir: string;
  /** ssh-agent's socket (SSH_AUTH_SOCK). */
  agentSocket?: string | undefined;
  /** Asks an encrypted key's passphrase (on a terminal); absent: such keys need ssh-agent. */
  askPassphrase?: PassphrasePrompt | undefined;
  /** `--step-timeout`, in ms (0 = none): wins over every host's step_timeout. */
  stepTimeoutMs?: number | undefined;
  /** Given to sudo on the hosts where it prompts for it, and only there (src/host/sudo.ts). */
  sudoPassword?: SecretValue | undefined;
  /** Told each host's round trips (channels opened) when the run closes the fleet: `CONVOY_COUNT_ROUND_TRIPS=1`. */
  onRoundTrips?: ((counts: Map<string, RoundTrips>) => void) | undefined;
}

/** How long one remote step may take unless the inventory or --step-timeout says otherwise: generous, not endless. */
export const defaultStepTimeoutMs = 15 * 60_000;

/** OpenSSH's and Ansible's usual: 10 s for the handshake; keepalives every 15 s, lost after 3 unanswered. */
export const defaultTimeouts = { connectTimeoutMs: 10_000, serverAliveIntervalMs: 15_000, serverAliveCountMax: 3 };

/**
 * Where the `--persist` process of a protocol version listens: in the user's own ~/.convoy (mode 0700). Version 1
 * had no number in the name.
 */
export function persistSocketPath(homeDir: string, version = muxProtocolVersion): string {
  return path.join(homeDir, '.convoy', version === 1 ? 'persist.sock' : `persist-v${version}.sock`);
}

export class Fleet {
  private readonly sessions = new Map<string, Promise<HostSession>>();

  constructor(
    private readonly pool: ConnectionPool,
    /** `--step-timeout`, which wins over every host's own. */
    private readonly stepTimeoutMs?: number | undefined,
    private readonly sudoPassword?: SecretValue | undefined,
    /** `CONVOY_COUNT_ROUND_TRIPS=1`: told each host's round trips when the run closes the fleet. */
    private readonly onClose?: ((counts: Map<string, RoundTrips>) => void) | undefined,
  ) {}

  /** Checks the settings (bad input touches no host) and prepares the pool; nothing connects yet. */
  static open(settings: FleetSettings, poolOptions: Omit<PoolOptions, 'persist'> = {}): Fleet {
    const persist =
      settings.persistMs === undefined
        ? undefined
        : { socketPath: persistSocketPath(settings.homeDir), idleMs: settings.persistMs };
    // Linux's limit for a unix socket path is 107 bytes; said before any host is touched.
    if (persist && Buffer.byteLength(persist.socketPath) > 100) {
      throw new UsageError(
        `--persist: the socket path ${persist.socketPath} is too long for a unix socket (over 100 bytes): use a shorter HOME`,
      );
    }
    // A ~/.convoy or socket that is not the user's alone is refused here too: one message, exit 2, no host touched.
    if (persist) preparePersistDir(persist.socketPath);
    const pool = new ConnectionPool(
      {
        knownHosts: new KnownHostsStore(),
        knownHostsFile: settings.knownHostsFile,
        acceptNewHostKeys: settings.acceptNewHostKeys,
        ...defaultTimeouts,
        override: settings.timeoutMs === undefined ? undefined : timeoutsFromFlag(settings.timeoutMs),
        agentSocket: settings.agentSocket,
        // One keyring for the run: each key read, matched with the agent and asked for once, whatever the hosts.
        keys: new Keyring({ prompt: settings.askPassphrase, agentSocket: settings.agentSocket }),
        homeDir: settings.homeDir || os.homedir(),
      },
      { ...poolOptions, persist },
    );
    return new Fleet(pool, settings.stepTimeoutMs, settings.sudoPassword, settings.onRoundTrips);
  }

  /** The host's session, connected on first use (a failure is not kept: the next call tries again). */
  session(host: HostConfig): Promise<HostSession> {
    let session = this.sessions.get(host.name);
    if (!session) {
      session = this.pool.get(host).then((connection) => {
        const stepTimeoutMs = this.stepTimeoutMs ?? host.stepTimeoutMs ?? defaultStepTimeoutMs;
        const relogin = () => this.pool.reconnect(host);
        return new HostSession(host, connection, relogin, stepTimeoutMs, this.sudoPassword);
      });
      // A host that could not be reached stays unreached for the run: a deploy reads every host before it stages,
      // and a second try would wait out a second connect timeout only to report the same host.
      this.sessions.set(host.name, session);
      session.catch(() => undefined);
    }
    return session;
  }

  /** Drops a host's session that failed to open, so that the next `session()` tries again (a long-running dashboard). */
  forget(host: HostConfig): void {
    this.sessions.delete(host.name);
  }

  /** Each connected host's channels so far (src/host/round-trips.ts), by host name; unreached hosts are left out. */
  async roundTrips(): Promise<Map<string, RoundTrips>> {
    const settled = await Promise.allSettled(this.sessions.values());
    const counts = new Map<string, RoundTrips>();
    for (const s of settled) if (s.status === 'fulfilled') counts.set(s.value.name, { ...s.value.roundTrips });
    return counts;
  }

  /** Closes every connection opened so far (after telling `onClose` each host's round trips, when it listens). */
  async close(): Promise<void> {
    if (this.onClose) this.onClose(await this.roundTrips());
    this.sessions.clear();
    return this.pool.closeAll();
  }
}

/** Runs `work` on every host's session at once (bounded); every host ends as a value, never hidden. */
export function runOnSessions<T>(
  fleet: Fleet,
  hosts: readonly HostConfig[],
  options: RunOptions,
  work: (session: HostSession, host: HostConfig) => Promise<Judged<T>>,
): Promise<{ outcomes: HostOutcome<T>[]; summary: RunSummary }> {
  return runOnHosts(hosts, options, onSession(fleet, work));
}

/** Per-host work that starts from the host's session (for the rolling runner, which takes a per-host function). */
export function onSession<T>(
  fleet: Fleet,
  work: (session: HostSession, host: HostConfig) => Promise<Judged<T>>,
): (host: HostConfig) => Promise<Judged<T>> {
  return async (host) => work(await fleet.session(host), host);
}
