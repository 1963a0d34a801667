// One connection per host for the whole run, jump hosts included; handshakes capped and retried on reset.
import path from 'node:path';
import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectSettings, SshTarget } from './connect.ts';
import { connect, describeTarget } from './connect.ts';
import type { HostConnection } from './connection.ts';
import { SshError } from './errors.ts';
import { MuxedConnection, ensurePersistProcess, takeLease } from './mux/client.ts';
import { OpenSshConnection } from './openssh.ts';
import { OpenSshMasters, persistMastersDir } from './openssh-masters.ts';

export type ConnectFunction = typeof connect;

export interface PoolOptions {
  /** Handshakes in flight at once: they cost CPU on both ends. */
  handshakeConcurrency?: number;
  /**
   * Handshakes in flight to one sshd (same address and port, e.g. several users or names for one server): sshd
   * starts dropping unauthenticated connections past MaxStartups (default 10).
   */
  perServerHandshakes?: number;
  /** `--persist`: connections kept open between runs by a background process on this socket, for this long idle. */
  persist?: { socketPath: string; idleMs: number } | undefined;
  retryDelaysMs?: readonly number[];
  connect?: ConnectFunction;
  /** Opens `transport = openssh` hosts (tests inject one); default: the system ssh, masters per run or --persist. */
  openssh?: Pick<OpenSshMasters, 'open' | 'closeAll'>;
}

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<HostConnection>>();
  private readonly handshakes: ReturnType<typeof pLimit>;
  private readonly perServer = new Map<string, ReturnType<typeof pLimit>>();
  private readonly perServerHandshakes: number;
  private readonly persist: PoolOptions['persist'];
  private persistProcess: Promise<void> | undefined;
  private lease: { release(): void } | undefined;
  private readonly retryDelaysMs: readonly number[];
  private readonly connectFn: ConnectFunction;
  private readonly openssh: Pick<OpenSshMasters, 'open' | 'closeAll'>;

  constructor(
    private readonly settings: ConnectSettings,
    options: PoolOptions = {},
  ) {
    this.handshakes = pLimit(options.handshakeConcurrency ?? 64);
    this.perServerHandshakes = options.perServerHandshakes ?? 8;
    this.persist = options.persist;
    this.retryDelaysMs = options.retryDelaysMs ?? [250, 1000];
    this.connectFn = options.connect ?? connect;
    const persistMasters = options.persist && {
      dir: persistMastersDir(settings.homeDir ?? path.dirname(path.dirname(options.persist.socketPath))),
      idleMs: options.persist.idleMs,
    };
    this.openssh = options.openssh ?? new OpenSshMasters(settings, { persist: persistMasters || undefined });
  }

  /** The host's connection, opened on first use; a jump host's connection is shared by every host behind it. */
  get(target: SshTarget): Promise<HostConnection> {
    const key = `${target.user}@${target.name}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = this.open(target);
      this.connections.set(key, connection);
      connection.catch(() => this.connections.delete(key));
    }
    return connection;
  }

  /** Closes the host's connection and opens a new one (a new login sees group changes made since). */
  async reconnect(target: SshTarget): Promise<HostConnection> {
    const key = `${target.user}@${target.name}`;
    const old = this.connections.get(key);
    this.connections.delete(key);
    if (old) (await old.catch(() => undefined))?.close();
    return this.get(target);
  }

  private async open(target: SshTarget): Promise<HostConnection> {
    // The system ssh, one master per host (under --persist too: its masters are what persists).
    if (target.transport === 'openssh')
      return this.retried(() => this.limited(target, () => this.openssh.open(target)));
    // Hosts behind a jump host connect directly: their channels ride on the jump host's connection.
    if (this.persist && !target.jump) return this.openPersisted(target, this.persist);
    const via = target.jump ? await this.viaJump(target, target.jump) : undefined;
    return this.retried(async () => {
      const sock = via
        ? await via.forwardTcp(target.address, target.port).catch((error: unknown) => {
            throw new SshError(
              'jump',
              target.name,
              `${describeTarget(target)}: jump host ${target.jump?.name} could not reach ${target.address}:${target.port}: ${(error as Error).message}`,
              { cause: error },
            );
          })
        : undefined;
      return this.limited(target, () => this.connectFn(target, this.settings, sock));
    });
  }

  /** The persist process holds the connection; this run gets a handle on it (and a direct one only if needed). */
  private async openPersisted(
    target: SshTarget,
    persist: { socketPath: string; idleMs: number },
  ): Promise<HostConnection> {
    await this.persistFor(persist);
    const connection = new MuxedConnection(
      target,
      this.settings,
      persist.socketPath,
      () => this.limited(target, () => this.connectFn(target, this.settings)),
      () => this.persistFor(persist),
    );
    await this.retried(() => this.limited(target, () => connection.check()));
    return connection;
  }

  /** Tries again after a connection reset before the handshake (sshd past MaxStartups, a network blink). */
  private async retried<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (!(error instanceof SshError) || !error.retryable || delay === undefined) throw error;
        await sleep(delay);
      }
    }
  }

  /** A handshake, within the cap per sshd and the cap in all. */
  private limited<T>(target: SshTarget, work: () => Promise<T>): Promise<T> {
    return this.serverLimit(target)(() => this.handshakes(work));
  }

  private serverLimit(target: SshTarget): ReturnType<typeof pLimit> {
    const key = `${target.jump ? `${target.jump.user}@${target.jump.name}>` : ''}${target.address}:${target.port}`;
    let limit = this.perServer.get(key);
    if (!limit) {
      limit = pLimit(this.perServerHandshakes);
      this.perServer.set(key, limit);
    }
    return limit;
  }

  private async viaJump(target: SshTarget, jump: SshTarget): Promise<HostConnection> {
    try {
      return await this.get(jump);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SshError('jump', target.name, `${describeTarget(target)}: through jump host ${jump.name}: ${reason}`, {
        cause: error,
      });
    }
  }

  /**
   * The persist process, started if needed, with this run's lease on it (so that it does not end idle mid-run);
   * started again when it went away (killed, or its socket removed).
   */
  private persistFor(persist: { socketPath: string; idleMs: number }): Promise<void> {
    this.persistProcess ??= (async () => {
      await ensurePersistProcess(persist.socketPath, persist.idleMs);
      this.lease = await takeLease(persist.socketPath, () => {
        this.persistProcess = undefined;
        this.lease = undefined;
      });
    })();
    this.persistProcess.catch(() => {
      this.persistProcess = undefined;
    });
    return this.persistProcess;
  }

  /** Closes every connection opened so far, and gives the persist process back its idle time. */
  async closeAll(): Promise<void> {
    this.lease?.release();
    this.lease = undefined;
    const all = await Promise.allSettled(this.connections.values());
    for (const result of all)
      if (result.status === 'fulfilled' && !(result.value instanceof OpenSshConnection)) result.value.close();
    this.connections.clear();
    await this.openssh.closeAll();
  }
}
