// One SSH connection per host, reused for every step: exec channels, SFTP, unix-socket and TCP forwarding.
import type { Duplex, Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { ClientChannel, PseudoTtyOptions, SFTPWrapper } from 'ssh2';
import type ssh2 from 'ssh2';
import type { SshTimeouts } from './connect.ts';
import { SshError } from './errors.ts';
import type { AnsweredPrompt } from './answer.ts';
import { TailBuffer } from './tail-buffer.ts';

/**
 * What a remote command gives back, success or not: failure is judged by `code`, never by stderr. `stdout` and
 * `stderr` are the last 64 KiB of each (all of it streams through `onStdout`/`onStderr`); `dropped` counts the bytes
 * before them, when there were more.
 */
export interface CommandResult {
  host: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  dropped?: { stdout: number; stderr: number };
}

/** The two streams of a command as a result keeps them: bounded tails. */
export function keptOutput(
  stdout: TailBuffer,
  stderr: TailBuffer,
): Pick<CommandResult, 'stdout' | 'stderr' | 'dropped'> {
  const dropped = stdout.dropped + stderr.dropped > 0 ? { stdout: stdout.dropped, stderr: stderr.dropped } : undefined;
  return { stdout: stdout.text(), stderr: stderr.text(), ...(dropped ? { dropped } : {}) };
}

export interface ExecOptions {
  stdin?: string | Buffer;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Abandons the command: its channel is closed (and the command killed where the server takes signals). */
  signal?: AbortSignal | undefined;
  /**
   * sudo's prompt to answer (src/ssh/answer.ts): `stdin` is held back until the command says it runs, and what sudo
   * printed before that is kept apart from the command's output.
   */
  answer?: AnsweredPrompt | undefined;
  /**
   * A terminal for the command (sudoers' `requiretty`): its output and its errors then come as one stream (stdout),
   * with no \n to \r\n translation and no echo; `stdin` is not sent (payloads travel by SFTP instead).
   */
  pty?: boolean | undefined;
  /**
   * A short step of Convoy's own (a read, or a line added to its record) that starts nothing that outlives it: under
   * `--persist`, a step script (`sh -s`, the script as stdin) may run in the host's kept shell instead of a session of
   * its own (src/ssh/kept-shell.ts). Never for your commands (hooks, `exec`).
   */
  keptShell?: boolean | undefined;
}

/** The terminal a `pty` command gets: raw output (no CR added) and no echo of what is typed (the password). */
const rawTerminal: PseudoTtyOptions = { term: 'dumb', modes: { ONLCR: 0, ECHO: 0 } };

/** Why an aborted command was abandoned: the signal's reason, as an Error. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'));
}

/**
 * Where each stream's bytes go: to `own` (the command's output), except those on the stream sudo prompts on before
 * the command runs, which go to the prompt (answered there). Input is written when the command is ready.
 */
export function routeThroughPrompt(
  stream: { write(text: string): unknown; end(data?: string | Buffer): unknown },
  options: ExecOptions,
) {
  const { answer, pty = false } = options;
  if (!answer) {
    stream.end(options.stdin);
    return { stdout: (chunk: Buffer) => chunk, stderr: (chunk: Buffer) => chunk };
  }
  const io = {
    send: (text: string) => stream.write(text),
    // Under a terminal, end of input is Ctrl-D: sudo reads no password and stops.
    giveUp: () => (pty ? stream.write('\u0004') : stream.end()),
    onReady: () => (pty ? undefined : stream.end(options.stdin)),
  };
  const viaPrompt = (chunk: Buffer) => answer.feed(chunk, io);
  return pty
    ? { stdout: viaPrompt, stderr: (chunk: Buffer) => chunk }
    : { stdout: (chunk: Buffer) => chunk, stderr: viaPrompt };
}

/** A command's output and exit as they arrive on its channel. */
function collectOutput(stream: ClientChannel, options: ExecOptions) {
  const stdout = new TailBuffer();
  const stderr = new TailBuffer();
  let code: number | null = null;
  let signal: string | null = null;
  let exited = false;
  const route = routeThroughPrompt(stream, options);
  stream.on('data', (chunk: Buffer) => {
    const own = route.stdout(chunk);
    if (!own?.length) return;
    stdout.push(own);
    options.onStdout?.(own);
  });
  stream.stderr.on('data', (chunk: Buffer) => {
    const own = route.stderr(chunk);
    if (!own?.length) return;
    stderr.push(own);
    options.onStderr?.(own);
  });
  stream.on('exit', (exitCode: number | null, exitSignal?: string) => {
    exited = true;
    code = exitCode ?? null;
    signal = exitSignal ?? null;
  });
  return {
    exited: () => exited,
    result: () => {
      const kept = keptOutput(stdout, stderr);
      // sudo's own words (its refusal, "Sorry, try again.") are the command's errors as a person would read them.
      const said = options.answer?.preamble() ?? '';
      return { code, signal, ...kept, stderr: said + kept.stderr };
    },
  };
}

/** A raw exec channel: the remote command's stdin and stdout as one stream, its stderr beside it. */
export type ExecChannel = Duplex & { readonly stderr: Readable };

/** How a file upload may fill the link (ssh2's SFTP window; the OpenSSH transport streams and ignores it). */
export interface FileCopyOptions {
  concurrency: number;
  chunkSize: number;
  /**
   * Abandons the transfer (the `--persist` process, when the run that asked for it went away): ssh2 has no way to
   * cancel one fastPut, so a transfer with a signal gets an SFTP session of its own, closed on abort.
   */
  signal?: AbortSignal | undefined;
}

/**
 * sshd would not open a stream to a unix socket on the host (no such socket, no permission, forwarding refused): the
 * stream reached nothing there, so a caller may try another way without running anything twice.
 */
export class ChannelRefusedError extends Error {}

/**
 * What every step needs from a host's connection: a direct ssh2 connection (SshConnection), one kept open by the
 * background process of `--persist` (MuxedConnection), or the system `ssh` through a ControlMaster
 * (OpenSshConnection, `transport = openssh`).
 */
export interface HostConnection {
  readonly host: string;
  readonly description: string;
  readonly closed: boolean;
  /** The host key this connection verified (ssh2 only; the other transports leave it to OpenSSH and say nothing). */
  readonly hostKey?: Buffer | undefined;
  exec(command: string, options?: ExecOptions): Promise<CommandResult>;
  /** With `answer`, resolves once the command runs (sudo's prompt answered), rejects when sudo ends it first. */
  execChannel(command: string, answer?: AnsweredPrompt): Promise<ExecChannel>;
  /** Copies a local file to the host; rejects with the transfer's own error, or at once if the connection dies. */
  putFile(local: string, remote: string, options: FileCopyOptions): Promise<void>;
  getFile(remote: string, local: string, options?: { signal?: AbortSignal | undefined }): Promise<void>;
  openUnixSocket(socketPath: string): Promise<Duplex>;
  forwardTcp(address: string, port: number): Promise<Duplex>;
  guard<T>(work: Promise<T>): Promise<T>;
  close(): void;
}

/** A callback-taking ssh2 call as a promise (SFTP's calls report a bare error). */
function called(start: (done: (error: Error | null | undefined) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start((error) => (error ? reject(error) : resolve())));
}

// sshd allows MaxSessions (default 10) session channels per connection; stay below it.
const sessionsPerConnection = 8;

/** The channel once its command runs (sudo's prompt answered on stderr); rejects with sudo's words if it ends first. */
export function channelWhenReady<C extends ExecChannel>(channel: C, answer: AnsweredPrompt): Promise<C> {
  return new Promise<C>((resolve, reject) => {
    const onClose = () => reject(new Error(answer.preamble().trim() || 'sudo ended before the command ran'));
    const io = {
      send: (text: string) => channel.write(text),
      giveUp: () => channel.end(),
      onReady: () => {
        channel.stderr.off('data', onStderr);
        channel.off('close', onClose);
        resolve(channel);
      },
    };
    const onStderr = (chunk: Buffer) => answer.feed(chunk, io);
    channel.stderr.on('data', onStderr);
    channel.once('close', onClose);
  });
}

export class SshConnection implements HostConnection {
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private closedError: SshError | undefined;
  private readonly sessions = pLimit(sessionsPerConnection);
  private readonly pending = new Set<(error: SshError) => void>();

  constructor(
    readonly host: string,
    private readonly client: ssh2.Client,
    readonly description: string,
    private readonly timeouts?: SshTimeouts,
    /** The host key verified in the handshake. */
    readonly hostKey?: Buffer,
  ) {
    client.on('close', () =>
      this.markClosed(new SshError('closed', host, `${description}: connection lost`, { unreachable: false })),
    );
    client.on('error', (error: Error & { level?: string }) =>
      this.markClosed(
        error.level === 'client-timeout'
          ? this.silenceError(error)
          : new SshError('closed', host, `${description}: connection lost: ${error.message}`, {
              cause: error,
              unreachable: false,
            }),
      ),
    );
  }

  /** ssh2's keepalive timeout: the host stopped answering mid-step (frozen, or the network between us is gone). */
  private silenceError(cause: Error): SshError {
    const t = this.timeouts;
    const how = t
      ? ` for ${((t.serverAliveIntervalMs * (t.serverAliveCountMax + 1)) / 1000).toFixed(1)}s ` +
        `(${t.serverAliveCountMax} keepalives unanswered; --timeout or server_alive_interval/server_alive_count_max set this)`
      : '';
    return new SshError('timeout', this.host, `${this.description}: lost: the host stopped answering${how}`, { cause });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Settles with `work`, or rejects as soon as the connection is lost: some ssh2 operations (SFTP fastPut) never call
   * back when the channel dies under them.
   */
  guard<T>(work: Promise<T>): Promise<T> {
    return this.withChannel<T>((resolve, reject) => {
      work.then(resolve, reject);
    });
  }

  /** Runs a shell command line; resolves with its result whatever its exit code, rejects only if the connection fails. */
  exec(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return this.sessions(() => this.execNow(command, options));
  }

  private execNow(command: string, options: ExecOptions): Promise<CommandResult> {
    const started = performance.now();
    const { signal: abort } = options;
    return this.withChannel<CommandResult>((resolve, reject) => {
      if (abort?.aborted) return reject(abortReason(abort));
      this.client.exec(command, options.pty ? { pty: rawTerminal } : {}, (error, stream) => {
        if (error) return reject(this.sessionRefused(error));
        const output = collectOutput(stream, options);
        // Abandoned (a step timeout, a client gone): the remote command is killed where sshd supports signals, and
        // its channel closed either way, so that it does not hold a session slot or the app's lock.
        const onAbort = () => {
          try {
            stream.signal('KILL');
          } catch {
            // Not every server takes signals: closing the channel is what counts.
          }
          stream.close();
          reject(abortReason(abort));
        };
        abort?.addEventListener('abort', onAbort, { once: true });
        stream.on('close', () => {
          abort?.removeEventListener('abort', onAbort);
          if (!output.exited() && (this.closed || abort?.aborted)) return; // rejected already, or about to be
          resolve({ host: this.host, ...output.result(), durationMs: Math.round(performance.now() - started) });
        });
      });
    });
  }

  private sessionRefused(error: Error): SshError {
    const message = `${this.description}: cannot open a session: ${error.message}`;
    return new SshError('closed', this.host, message, { cause: error, unreachable: false });
  }

  /** A raw exec channel (remote stdin/stdout as one stream), for protocols spoken through a remote program. */
  async execChannel(command: string, answer?: AnsweredPrompt): Promise<ClientChannel> {
    const channel = await this.openChannel(command);
    return answer ? channelWhenReady(channel, answer) : channel;
  }

  private openChannel(command: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      // The session slot is held until the channel closes, not just while it opens.
      void this.sessions(
        () =>
          new Promise<void>((release) => {
            this.withChannel<ClientChannel>((ok, fail) => {
              this.client.exec(command, (error, stream) =>
                error
                  ? fail(
                      new SshError(
                        'closed',
                        this.host,
                        `${this.description}: cannot open a session: ${error.message}`,
                        { cause: error, unreachable: false },
                      ),
                    )
                  : ok(stream),
              );
            }).then(
              (channel) => {
                channel.once('close', () => release());
                resolve(channel);
              },
              (error: unknown) => {
                release();
                reject(error);
              },
            );
          }),
      );
    });
  }

  /** SFTP fastPut with the upload window asked for, guarded against a connection lost mid-transfer. */
  async putFile(local: string, remote: string, options: FileCopyOptions): Promise<void> {
    const { signal, ...window } = options;
    await this.transfer(signal, (sftp, done) => sftp.fastPut(local, remote, window, done));
  }

  async getFile(remote: string, local: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    await this.transfer(options.signal, (sftp, done) => sftp.fastGet(remote, local, done));
  }

  /**
   * One SFTP transfer: on the connection's shared session, or, when it may be abandoned, on a session of its own
   * (one of the connection's session slots while it lasts) that closing ends.
   */
  private async transfer(
    signal: AbortSignal | undefined,
    start: (sftp: SFTPWrapper, done: (error: Error | null | undefined) => void) => void,
  ): Promise<void> {
    if (!signal) {
      const sftp = await this.sftp();
      await this.guard(called((done) => start(sftp, done)));
      return;
    }
    await this.sessions(async () => {
      if (signal.aborted) throw abortReason(signal);
      const sftp = await this.openSftp();
      const abandon = () => sftp.end();
      signal.addEventListener('abort', abandon, { once: true });
      try {
        await this.guard(called((done) => start(sftp, done)));
        if (signal.aborted) throw abortReason(signal);
      } finally {
        signal.removeEventListener('abort', abandon);
        sftp.end();
      }
    });
  }

  /** The connection's SFTP session, opened once. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= this.openSftp();
    return this.sftpChannel;
  }

  private openSftp(): Promise<SFTPWrapper> {
    return this.withChannel<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) =>
        error
          ? reject(
              new SshError('closed', this.host, `${this.description}: SFTP refused: ${error.message}`, {
                cause: error,
                unreachable: false,
              }),
            )
          : resolve(sftp),
      );
    });
  }

  /** A stream to a unix socket on the host (direct-streamlocal@openssh.com); rejects when sshd refuses. */
  openUnixSocket(socketPath: string): Promise<ClientChannel> {
    return this.withChannel<ClientChannel>((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (error, stream) =>
        error ? reject(new ChannelRefusedError(error.message, { cause: error })) : resolve(stream),
      );
    });
  }

  /** A TCP stream opened from the host (direct-tcpip): how a jump host reaches the next one. */
  forwardTcp(address: string, port: number): Promise<Duplex> {
    return this.withChannel<Duplex>((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, address, port, (error, stream) =>
        error ? reject(error) : resolve(stream),
      );
    });
  }

  close(): void {
    this.client.end();
  }

  private withChannel<T>(start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      const onLost = (error: SshError) => reject(error);
      this.pending.add(onLost);
      start(
        (value) => {
          this.pending.delete(onLost);
          resolve(value);
        },
        (error) => {
          this.pending.delete(onLost);
          reject(error);
        },
      );
    });
  }

  private markClosed(error: SshError): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const reject of this.pending) reject(error);
    this.pending.clear();
  }
}
