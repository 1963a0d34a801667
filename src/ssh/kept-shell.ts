// A shell kept open on a host between steps, for the `--persist` process: a short read of Convoy's own (the deploy's
// first read, a plan's read) runs in it instead of in a session of its own. A new session costs the host sshd's fork,
// the login shell and `sh` (~25 ms of CPU alone, ~45 ms with 50 hosts on 2 cores, measured); a read in the kept shell
// costs one subshell and its own programs. Mitogen keeps an interpreter on the host for the same reason. Only steps of
// Convoy's own that leave nothing running may use it (reads, a record line): a process left behind holding the
// shell's output would mix its bytes into the next step's.
import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { shellQuote } from '../shell/quote.ts';
import { scriptShell } from '../shell/script.ts';
import { abortReason } from './connection.ts';
import type { ExecOptions } from './connection.ts';

/** What a kept shell needs of a connection: a raw channel running a command. */
export interface ChannelOpener {
  execChannel(command: string): Promise<ClientChannel>;
}

/**
 * One stream of a kept shell's output, split at a request's end marker (`\n<nonce>:<value>\n`, printed after the
 * request's subshell exits): `feed` returns the bytes that are surely the request's, holding back a tail that could
 * be the start of the marker, and `ended` is the marker's value once it came. The newline before the nonce is the
 * marker's own (always printed), so output without a last newline comes back as it was.
 */
export class MarkedStream {
  private held: Buffer = Buffer.alloc(0);
  private value: string | undefined;
  private readonly marker: Buffer;

  constructor(nonce: string) {
    this.marker = Buffer.from(`\n${nonce}:`);
  }

  get ended(): string | undefined {
    return this.value;
  }

  feed(chunk: Buffer): Buffer {
    if (this.value !== undefined) return Buffer.alloc(0);
    const all = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const at = all.indexOf(this.marker);
    if (at >= 0) {
      const lineEnd = all.indexOf(10, at + this.marker.length);
      if (lineEnd < 0) {
        this.held = all.subarray(at);
        return all.subarray(0, at);
      }
      this.value = all.subarray(at + this.marker.length, lineEnd).toString('utf8');
      this.held = Buffer.alloc(0);
      return all.subarray(0, at);
    }
    // Any tail shorter than the marker could be its beginning: held until the next chunk tells.
    const keep = Math.min(all.length, this.marker.length - 1);
    this.held = all.subarray(all.length - keep);
    return all.subarray(0, all.length - keep);
  }
}

/**
 * What the kept shell reads for one request: the step's whole script (what `sh -s` would have read) evaluated in a
 * subshell with no input (so that it cannot read the next request, and its `exit` ends only the subshell), then the
 * end marker on each stream with the subshell's status on stdout.
 */
export function keptRequest(script: string, nonce: string): string {
  return [
    `( eval ${shellQuote(script)} ) </dev/null`,
    `printf '\\n%s:%s\\n' ${nonce} "$?"`,
    `printf '\\n%s:\\n' ${nonce} >&2`,
    '',
  ].join('\n');
}

interface Running {
  stdout: MarkedStream;
  stderr: MarkedStream;
  options: KeptRunOptions;
  settle: (outcome: { code: number } | { error: Error }) => void;
}

export type KeptRunOptions = Pick<ExecOptions, 'onStdout' | 'onStderr' | 'signal'>;

export class KeptShell {
  private running: Running | undefined;
  private gone = false;

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (chunk: Buffer) => this.output('stdout', chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.output('stderr', chunk));
    channel.on('close', () => this.lost(new Error('the kept shell ended')));
    channel.on('error', (error: Error) => this.lost(error));
  }

  /** `sh -s` on the host, as every step's script runs: the login shell parses only those two words. */
  static async open(connection: ChannelOpener): Promise<KeptShell> {
    return new KeptShell(await connection.execChannel(scriptShell));
  }

  /** Closed, or ended on the host: a new one must be opened. */
  get ended(): boolean {
    return this.gone;
  }

  /** Free for a request: open and not running one. */
  get idle(): boolean {
    return !this.gone && this.running === undefined;
  }

  /**
   * Runs one step script (what `sh -s` would read), its output through the callbacks; resolves with its exit status.
   * An abort closes the shell on the host (the step's command with it); a shell that ends mid-request rejects.
   */
  run(script: string, options: KeptRunOptions = {}): Promise<number> {
    if (!this.idle) return Promise.reject(new Error('the kept shell is busy or gone'));
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    const nonce = `CONVOY-END-${randomBytes(12).toString('hex')}`;
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => this.close(abortReason(options.signal));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.running = {
        stdout: new MarkedStream(nonce),
        stderr: new MarkedStream(nonce),
        options,
        settle: (outcome) => {
          options.signal?.removeEventListener('abort', onAbort);
          this.running = undefined;
          if ('error' in outcome) reject(outcome.error);
          else resolve(outcome.code);
        },
      };
      this.channel.write(keptRequest(script, nonce));
    });
  }

  private output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const running = this.running;
    if (!running) return; // between requests nothing should come; whatever does belongs to no step
    const own = running[stream].feed(chunk);
    if (own.length) (stream === 'stdout' ? running.options.onStdout : running.options.onStderr)?.(own);
    const status = running.stdout.ended;
    if (status !== undefined && running.stderr.ended !== undefined) running.settle({ code: Number(status) });
  }

  private lost(error: Error): void {
    this.gone = true;
    this.running?.settle({ error });
  }

  /** Ends the shell (and whatever it runs) on the host. */
  close(why: Error = new Error('the kept shell was closed')): void {
    if (this.gone) return;
    try {
      this.channel.signal('KILL');
    } catch {
      // Not every server takes signals: closing the channel is what counts.
    }
    this.channel.close();
    this.lost(why);
  }
}
