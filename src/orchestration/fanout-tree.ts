// Fan-out uploads as pure scheduling (docs/deploy.md, "Fan-out"): which host gets the artifact from where. The
// controller sends to at most `controllerSlots` hosts; every host that holds a verified copy passes it on to up to
// its own limit of hosts at once; a host whose relay failed, or that cannot take part, gets it from the controller.
// No I/O here: src/deploy/fanout.ts feeds it events and carries out the assignments it returns.

/** Where one host gets the artifact: from the controller, or from a host that holds a verified copy. */
export type Source = { kind: 'controller' } | { kind: 'relay'; from: string };

export interface Assignment {
  host: string;
  source: Source;
}

export interface WantOptions {
  /** It may receive from and send to other hosts (false: `relay = no`, a failed probe, no pinned host key). */
  relays: boolean;
  /** How many hosts it sends to at once once it holds a copy (0: it never sends). */
  sendLimit: number;
}

interface Waiting {
  host: string;
  /** A relay to it failed once: only the controller now. */
  directOnly: boolean;
  relays: boolean;
  sendLimit: number;
}

interface Sender {
  limit: number;
  active: number;
}

export class FanoutTree {
  private readonly waiting: Waiting[] = [];
  private readonly senders = new Map<string, Sender>();
  /** Transfers running, by receiver: the limit it will send to once verified (0: it will not send). */
  private readonly inFlight = new Map<string, { source: Source; sendLimit: number }>();
  /** Copies the controller sent in the tree's own slots (fallbacks and hosts that cannot relay are extra). */
  private slotsUsed = 0;
  /** Where each host's verified copy came from: the controller or a relay (for the output and the tests). */
  readonly served = new Map<string, Source>();

  constructor(private readonly controllerSlots: number) {}

  /** A host needs the artifact. */
  want(host: string, options: WantOptions): Assignment[] {
    this.waiting.push({ host, directOnly: false, ...options });
    return this.assign();
  }

  /** A host already holds a verified copy (this deploy's, or one cached before): it may send. */
  holds(host: string, sendLimit: number): Assignment[] {
    if (sendLimit > 0 && !this.senders.has(host)) this.senders.set(host, { limit: sendLimit, active: 0 });
    return this.assign();
  }

  /**
   * A transfer ended. `ok`: the receiver verified its copy and becomes a sender. Otherwise a relayed receiver goes
   * back to wait for the controller, and its sender sends no more unless the receiver alone was at fault (the
   * controller is the safe source); a failed direct upload is the host's own failure, final.
   */
  finished(host: string, ok: boolean, senderAtFault = true): Assignment[] {
    const flight = this.inFlight.get(host);
    if (!flight) return [];
    this.inFlight.delete(host);
    if (flight.source.kind === 'relay') this.release(flight.source.from, ok || !senderAtFault);
    if (ok) {
      this.served.set(host, flight.source);
      return this.holds(host, flight.sendLimit);
    }
    if (flight.source.kind === 'relay') this.waiting.unshift({ host, directOnly: true, relays: false, sendLimit: 0 });
    return this.assign();
  }

  /** Hosts the controller sent a copy to (`served` once verified). */
  get fromController(): string[] {
    return [...this.served].filter(([, s]) => s.kind === 'controller').map(([h]) => h);
  }

  /** A relay ended: its sender has room again, or is dropped when it may be at fault. */
  private release(sender: string, keep: boolean): void {
    const s = this.senders.get(sender);
    if (!s) return;
    if (!keep) this.senders.delete(sender);
    else s.active--;
  }

  /** Hands out what can start now, in the order hosts asked. */
  private assign(): Assignment[] {
    const out: Assignment[] = [];
    for (const w of [...this.waiting]) {
      const source = this.sourceFor(w);
      if (!source) continue;
      this.waiting.splice(this.waiting.indexOf(w), 1);
      this.inFlight.set(w.host, { source, sendLimit: w.relays ? w.sendLimit : 0 });
      out.push({ host: w.host, source });
    }
    return out;
  }

  private sourceFor(w: Waiting): Source | undefined {
    if (w.directOnly || !w.relays) return { kind: 'controller' };
    const sender = this.freestSender();
    if (sender) {
      this.senders.get(sender)!.active++;
      return { kind: 'relay', from: sender };
    }
    if (this.slotsUsed < this.controllerSlots) {
      this.slotsUsed++;
      return { kind: 'controller' };
    }
    // Nobody holds a copy and no transfer under way can make a sender: waiting would wait forever.
    return this.senders.size === 0 && !this.senderComing() ? { kind: 'controller' } : undefined;
  }

  /** The sender with the most room, first come on a tie. */
  private freestSender(): string | undefined {
    let best: [string, number] | undefined;
    for (const [host, s] of this.senders) {
      const room = s.limit - s.active;
      if (room > 0 && (!best || room > best[1])) best = [host, room];
    }
    return best?.[0];
  }

  private senderComing(): boolean {
    return [...this.inFlight.values()].some((f) => f.sendLimit > 0);
  }
}
