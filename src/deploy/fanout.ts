// Fan-out uploads for one app's deploy (docs/deploy.md, "Fan-out"): the tree (src/orchestration/fanout-tree.ts)
// says who sends to whom; this carries it out over the hosts' sessions. A receiver gets a key line that lets its
// sender write the artifact into the stage's `.partial` file and nothing else; the stage then verifies the sha256
// as for a direct upload. Any relay that fails sends its receiver back to this machine. The run's keys are removed
// from every host when staging ends, and a later fan-out deploy sweeps those of runs that ended without it.
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { HostSession } from '../host/session.ts';
import type { RelayKeyPair } from '../host/relay-key.ts';
import { newRelayKeyPair, verifiedHostKeyLine } from '../host/relay-key.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Assignment, Source } from '../orchestration/fanout-tree.ts';
import { FanoutTree } from '../orchestration/fanout-tree.ts';
import { shellQuote } from '../shell/quote.ts';
import type { FanoutRun, Liveness } from './fanout-keys.ts';
import {
  authorizeScript,
  authorizedKeysLine,
  endedRuns,
  receiveCommand,
  receiveProblem,
  relayScript,
  relayTimeoutS,
  removeRunsScript,
  runId,
  senderKeyScript,
  sweepReadScript,
} from './fanout-keys.ts';

export type { Source };

/** How many hosts each host passes the artifact on to at once (0: it takes no part), and the controller's share. */
export interface FanoutWidth {
  controller: number;
  of: (host: HostConfig) => number;
}

export interface FanoutOptions {
  width: FanoutWidth;
  artifactBytes: number;
  machine: string;
  pid: number;
  /** Seconds since the epoch (injected for tests). */
  now?: () => number;
  /** Whether a process of this machine runs (to sweep the keys of a controller that was killed). */
  alive?: (pid: number) => boolean;
  report?: (host: string, step: string, detail?: string) => void;
}

/** A stage's upload, as steps the fan-out orders: the direct upload, the sha256 check, the rename into the cache. */
export interface FetchJob {
  partial: string;
  cached: string;
  size: string;
  put: () => Promise<void>;
  verify: () => Promise<void>;
  store: () => Promise<void>;
  report: (step: string, detail?: string) => void;
}

/** The key's life: staging must be over by then (sshd refuses the key afterwards, and a sweep removes it). */
const keyLifeS = 3600;
const relayConnectTimeoutS = 10;

class RelayFailed extends Error {
  constructor(
    message: string,
    readonly senderAtFault: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class Fanout {
  readonly id: string;
  private readonly tree: FanoutTree;
  private readonly keys: RelayKeyPair = newRelayKeyPair();
  private readonly run: FanoutRun;
  private readonly sessions = new Map<string, HostSession>();
  private readonly cached = new Map<string, string>();
  private readonly waiters = new Map<string, (source: Source) => void>();
  private readonly senderKeys = new Map<string, Promise<void>>();
  /** Hosts where this run left a line or a key directory: cleaned up when staging ends. */
  private readonly touched = new Set<string>();
  private readonly swept = new Set<string>();
  private readonly aliases = new Map<string, string>();

  constructor(private readonly options: FanoutOptions) {
    const now = options.now?.() ?? Math.floor(Date.now() / 1000);
    this.run = {
      random: randomBytes(6).toString('hex'),
      machine: options.machine,
      pid: options.pid,
      untilEpochS: now + keyLifeS,
    };
    this.id = runId(this.run);
    this.tree = new FanoutTree(options.width.controller);
  }

  /** Where each host's copy came from, once verified: the controller, or a relay. */
  get served(): ReadonlyMap<string, Source> {
    return this.tree.served;
  }

  /** Removes what fan-out runs that have ended left on the host (once per host and deploy); never fails the host. */
  async sweep(session: HostSession): Promise<void> {
    if (this.swept.has(session.name)) return;
    this.swept.add(session.name);
    const live: Liveness = {
      nowEpochS: this.options.now?.() ?? Math.floor(Date.now() / 1000),
      machine: this.options.machine,
      alive: this.options.alive ?? processAlive,
    };
    try {
      const ended = endedRuns(await session.run('fanout sweep', sweepReadScript), this.id, live);
      if (ended.length === 0) return;
      await session.run('fanout sweep', removeRunsScript(ended));
      this.options.report?.(session.name, 'fanout sweep', `removed the keys of ended runs ${ended.join(', ')}`);
    } catch (error) {
      this.options.report?.(session.name, 'fanout sweep', `failed: ${(error as Error).message}`);
    }
  }

  /** Gets the artifact to the host, verified and stored: from a relay when the tree says so, else from here. */
  async fetch(session: HostSession, job: FetchJob): Promise<Source> {
    const name = session.name;
    this.sessions.set(name, session);
    const relays = this.mayRelay(session, job.partial);
    let source = await this.ask(name, () => this.tree.want(name, { relays, sendLimit: this.width(session) }));
    let fellBack = false;
    for (;;) {
      try {
        // A relay cut off but not dead (a frozen sender) may still write into the file it opened: the direct upload
        // gets a new inode, so that late bytes land in the unlinked one and never in the verified copy.
        if (fellBack) await session.run('fanout fallback', `rm -f ${shellQuote(job.partial)}`);
        await this.transfer(session, source, job);
        await job.verify();
      } catch (error) {
        if (source.kind === 'controller' || session.lost) {
          this.settle(this.tree.finished(name, false));
          throw error;
        }
        const blame = !(error instanceof RelayFailed) || error.senderAtFault;
        job.report('upload', `the relay from ${source.from} failed (${(error as Error).message}): from this machine`);
        source = await this.ask(name, () => this.tree.finished(name, false, blame));
        fellBack = true;
        continue;
      }
      return this.stored(name, source, job);
    }
  }

  private async stored(name: string, source: Source, job: FetchJob): Promise<Source> {
    try {
      await job.store();
    } catch (error) {
      this.settle(this.tree.finished(name, false));
      throw error;
    }
    this.cached.set(name, job.cached);
    this.settle(this.tree.finished(name, true));
    return source;
  }

  /** Removes this run's lines and keys from every host it wrote them to; returns what could not be removed. */
  async cleanup(): Promise<string[]> {
    const hosts = [...this.touched];
    const results = await Promise.all(
      hosts.map(async (host) => {
        const session = this.sessions.get(host);
        if (!session || session.lost) return `${host}: not reachable (a later fan-out deploy removes them)`;
        try {
          await session.run('fanout cleanup', removeRunsScript([this.id]));
          this.touched.delete(host);
          return undefined;
        } catch (error) {
          return `${host}: ${(error as Error).message}`;
        }
      }),
    );
    return results.filter((r) => r !== undefined);
  }

  private width(session: HostSession): number {
    return this.options.width.of(session.host);
  }

  /**
   * A host takes part when the inventory lets it, it is reached directly (no jump host or ProxyCommand) at an IP
   * address (`from=` and `ssh -b` need one), its host key was verified by this machine (ssh2), and its cache path is
   * plain enough for any login shell.
   */
  private mayRelay(session: HostSession, partial: string): boolean {
    const h = session.host;
    const direct = !h.jump && !h.proxyCommand && h.transport !== 'openssh';
    return (
      h.relay !== false &&
      this.width(session) > 0 &&
      direct &&
      isIP(h.address) !== 0 &&
      session.verifiedHostKey !== undefined &&
      receiveProblem(partial) === undefined
    );
  }

  /** Waits for the tree to assign `host` a source, after `change` (which may assign it at once). */
  private ask(host: string, change: () => Assignment[]): Promise<Source> {
    const assigned = new Promise<Source>((resolve) => this.waiters.set(host, resolve));
    this.settle(change());
    return assigned;
  }

  private settle(assignments: readonly Assignment[]): void {
    for (const a of assignments) {
      const resolve = this.waiters.get(a.host);
      this.waiters.delete(a.host);
      resolve?.(a.source);
    }
  }

  private async transfer(session: HostSession, source: Source, job: FetchJob): Promise<void> {
    if (source.kind === 'controller') {
      job.report('upload', job.size);
      await job.put();
      return;
    }
    job.report('upload', `${job.size} from ${source.from}`);
    await this.relay(source.from, session, job.partial);
  }

  /** One relay: the sender's key (once), the receiver's line, then the sender pipes its copy over ssh. */
  private async relay(from: string, receiver: HostSession, partial: string): Promise<void> {
    const sender = this.sessions.get(from);
    const source = this.cached.get(from);
    if (!sender || !source) throw new RelayFailed(`${from} holds no copy`, true);
    await this.senderKey(sender);
    const line = authorizedKeysLine(this.keys.publicKey, sender.host.address, receiveCommand(partial), this.run);
    this.touched.add(receiver.name);
    await receiver.run('fanout authorize', authorizeScript(line, this.id)).catch((error: unknown) => {
      throw new RelayFailed((error as Error).message, false, { cause: error });
    });
    const alias = this.aliasOf(receiver.name);
    const knownHostsLine = verifiedHostKeyLine(receiver, alias);
    if (!knownHostsLine) throw new RelayFailed(`no verified host key for ${receiver.name}`, false);
    const h = receiver.host;
    const target = { address: h.address, port: h.port, user: h.user, knownHostsLine, alias, bind: sender.host.address };
    const timeoutS = relayTimeoutS(this.options.artifactBytes);
    const script = relayScript(this.id, { ...target, source, connectTimeoutS: relayConnectTimeoutS, timeoutS });
    await sender.run(`relay to ${receiver.name}`, script);
  }

  /** The private key, written to a sender once, the first time it sends. */
  private senderKey(sender: HostSession): Promise<void> {
    let written = this.senderKeys.get(sender.name);
    if (!written) {
      this.touched.add(sender.name);
      written = sender.run('fanout key', senderKeyScript(this.id), { stdin: this.keys.privateKey }).then(() => {});
      this.senderKeys.set(sender.name, written);
    }
    return written;
  }

  /** A name for the receiver's key in the sender's known_hosts (HostKeyAlias), plain for every shell. */
  private aliasOf(host: string): string {
    let alias = this.aliases.get(host);
    if (!alias) {
      alias = `convoy-relay-${this.aliases.size + 1}`;
      this.aliases.set(host, alias);
    }
    return alias;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The deploy's fan-out width: the flag, else the app's, else each host's inventory `fanout` (the largest for here). */
export function fanoutWidth(
  flag: number | undefined,
  app: number | undefined,
  hosts: readonly HostConfig[],
): FanoutWidth | undefined {
  const uniform = flag ?? app;
  if (uniform !== undefined) return uniform > 0 ? { controller: uniform, of: () => uniform } : undefined;
  const controller = Math.max(0, ...hosts.map((h) => h.fanout ?? 0));
  return controller > 0 ? { controller, of: (h) => h.fanout ?? 0 } : undefined;
}
