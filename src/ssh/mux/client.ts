// A host's connection as a convoy run sees it under `--persist`: commands, unix sockets on the host, file copies and
// raw exec channels go through the persist process's long-lived connection; what needs a conversation on the channel
// (sudo's password prompt) and TCP forwards (jump hosts) through a direct connection opened only when needed.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnsweredPrompt } from '../answer.ts';
import type { ConnectSettings, SshTarget } from '../connect.ts';
import { describeTarget } from '../connect.ts';
import type { CommandResult, ExecChannel, ExecOptions, FileCopyOptions, HostConnection } from '../connection.ts';
import { abortReason, keptOutput } from '../connection.ts';
import { TailBuffer } from '../tail-buffer.ts';
import { SshError } from '../errors.ts';
import { scriptShell } from '../../shell/script.ts';
import type { MuxFailure, MuxOperation, MuxReply, MuxSettings } from './protocol.ts';
import { encodeFrame, frame, frameReader, readLine } from './protocol.ts';
import { preparePersistDir, readToken, tokenPath } from './trust.ts';

function errorOf(host: string, failure: MuxFailure): Error {
  // A channel sshd would not open is a plain error, as from a direct connection (callers tell it from a lost host).
  if (failure.kind === 'channel') return new Error(failure.message);
  return new SshError(failure.kind, host, failure.message, { unreachable: failure.unreachable });
}

export class MuxedConnection implements HostConnection {
  readonly host: string;
  readonly description: string;
  private direct: Promise<HostConnection> | undefined;
  private readonly settings: MuxSettings;

  constructor(
    private readonly target: SshTarget,
    settings: ConnectSettings,
    private readonly socketPath: string,
    private readonly openDirect: () => Promise<HostConnection>,
    /** Starts the persist process again when it is gone (killed, or its socket removed) mid-run. */
    private readonly revive: () => Promise<void> = async () => {},
  ) {
    this.host = target.name;
    this.description = describeTarget(target);
    const { knownHosts: _store, keys: _keys, ...rest } = settings;
    this.settings = rest;
  }

  /**
   * Opens a stream to the persist process and sends one request; rejects with the host's error when it failed. A
   * process that is gone is started again, once.
   */
  private async request(body: MuxOperation, signal?: AbortSignal): Promise<net.Socket> {
    if (signal?.aborted) throw abortReason(signal);
    let socket: net.Socket;
    try {
      socket = await openStream(this.socketPath);
    } catch (error) {
      if (!isGone(error)) throw error;
      await this.revive();
      socket = await openStream(this.socketPath);
    }
    const token = readToken(this.socketPath);
    socket.write(`${JSON.stringify({ ...body, target: this.target, settings: this.settings, token })}\n`);
    // A copy, or a read in the kept shell, is answered once it ended: abandoned before that, the stream's close makes
    // the persist process abandon it.
    const onAbort = () => socket.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) socket.destroy();
    let line: string;
    try {
      line = await this.replyOn(socket);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const reply = JSON.parse(line) as MuxReply;
    if (!reply.ok) {
      socket.destroy();
      throw errorOf(this.host, reply.error);
    }
    return socket;
  }

  /** The reply line; a process that dies before it (mid-copy, say) is a lost connection, not a stack trace. */
  private async replyOn(socket: net.Socket): Promise<string> {
    try {
      return await readLine(socket);
    } catch (error) {
      socket.destroy();
      const why = error instanceof Error ? error.message : String(error);
      throw new SshError('closed', this.host, `${this.description}: ${why}`, { cause: error, unreachable: false });
    }
  }

  /** The persist process holds (or opens) the host's connection: host key, auth and reachability are checked there. */
  async check(): Promise<void> {
    (await this.request({ op: 'connect' })).destroy();
  }

  private directConnection(): Promise<HostConnection> {
    this.direct ??= this.openDirect();
    return this.direct;
  }

  get closed(): boolean {
    return false;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    // sudo's prompt is a conversation on the channel, which the persist process's frames do not carry.
    if (options.answer || options.pty) return (await this.directConnection()).exec(command, options);
    const started = performance.now();
    const socket = await this.request(execRequest(command, options), options.signal);
    const stdout = new TailBuffer();
    const stderr = new TailBuffer();
    return new Promise<CommandResult>((resolve, reject) => {
      let settled = false;
      // Abandoned: closing the stream makes the persist process close the command on the host.
      options.signal?.addEventListener(
        'abort',
        () => {
          if (settled) return;
          settled = true;
          socket.destroy();
          reject(abortReason(options.signal));
        },
        { once: true },
      );
      socket.on(
        'data',
        frameReader((type, payload) => {
          if (type === frame.stdout) {
            stdout.push(payload);
            options.onStdout?.(payload);
          }
          if (type === frame.stderr) {
            stderr.push(payload);
            options.onStderr?.(payload);
          }
          if (type === frame.failed) {
            settled = true;
            reject(errorOf(this.host, JSON.parse(payload.toString('utf8')) as MuxFailure));
          }
          if (type === frame.exit) {
            settled = true;
            const status = JSON.parse(payload.toString('utf8')) as { code: number | null; signal: string | null };
            resolve({
              host: this.host,
              ...status,
              ...keptOutput(stdout, stderr),
              durationMs: Math.round(performance.now() - started),
            });
          }
        }),
      );
      socket.on('close', () => {
        if (!settled)
          reject(
            new SshError('closed', this.host, `${this.description}: the persist process closed the stream`, {
              unreachable: false,
            }),
          );
      });
      socket.resume();
    });
  }

  async openUnixSocket(socketPath: string): Promise<Duplex> {
    const socket = await this.request({ op: 'unix', path: socketPath });
    socket.resume();
    return socket;
  }

  async execChannel(command: string, answer?: AnsweredPrompt): Promise<ExecChannel> {
    // sudo's prompt is answered on the channel as it comes: a direct connection's work.
    if (answer) return (await this.directConnection()).execChannel(command, answer);
    return framedChannel(await this.request({ op: 'channel', command }), this.host, this.description);
  }

  /** The persist process copies the file itself (same user, same machine): the reply comes when it is there. */
  async putFile(local: string, remote: string, options: FileCopyOptions): Promise<void> {
    const { concurrency, chunkSize, signal } = options;
    const copy = { op: 'put', local: path.resolve(local), remote, window: { concurrency, chunkSize } } as const;
    (await this.request(copy, signal)).destroy();
  }

  async getFile(remote: string, local: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    (await this.request({ op: 'get', remote, local: path.resolve(local) }, options.signal)).destroy();
  }

  async forwardTcp(address: string, port: number): Promise<Duplex> {
    return (await this.directConnection()).forwardTcp(address, port);
  }

  guard<T>(work: Promise<T>): Promise<T> {
    return this.direct ? this.direct.then((d) => d.guard(work)) : work;
  }

  close(): void {
    void this.direct?.then(
      (d) => d.close(),
      () => undefined,
    );
  }
}

/** An exec request: the input in base64; a step script marked as a short read may run in the host's kept shell. */
function execRequest(command: string, options: ExecOptions): MuxOperation {
  const stdin = options.stdin === undefined ? {} : { stdin: Buffer.from(options.stdin).toString('base64') };
  const kept = options.keptShell && command === scriptShell && options.stdin !== undefined ? { kept: true } : {};
  return { op: 'exec', command, ...stdin, ...kept };
}

/**
 * A raw exec channel carried in frames: what is written goes as input frames (ending sends `eof`), stdout and stderr
 * come back as frames, the exit frame ends the output. The persist process closes the command when the stream closes.
 */
function framedChannel(socket: net.Socket, host: string, description: string): ExecChannel {
  const stderr = new PassThrough();
  let ended = false;
  const channel = new Duplex({
    write: (chunk: Buffer, _encoding, done) => socket.write(encodeFrame(frame.stdin, chunk), done),
    final: (done) => socket.write(encodeFrame(frame.eof, ''), done),
    read: () => socket.resume(),
    destroy: (error, done) => {
      socket.destroy();
      done(error);
    },
  });
  socket.on(
    'data',
    frameReader((type, payload) => {
      if (type === frame.stdout && !channel.push(payload)) socket.pause();
      if (type === frame.stderr) stderr.write(payload);
      if (type !== frame.exit) return;
      ended = true;
      stderr.end();
      channel.push(null);
    }),
  );
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (ended) return;
    stderr.end();
    channel.destroy(
      new SshError('closed', host, `${description}: the persist process closed the stream`, { unreachable: false }),
    );
  });
  socket.resume();
  return Object.assign(channel, { stderr });
}

const daemonEntry = (): string[] => {
  // Built: dist/ssh/mux/daemon-main.js; from source (tests through tsx): the .ts file, run through tsx.
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = path.join(import.meta.dirname, fromSource ? 'daemon-main.ts' : 'daemon-main.js');
  // tsx by its resolved path: the process runs in `/`, where a bare `tsx` is not found.
  return fromSource ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
};

/** A stream to the persist process's socket. */
function openStream(socketPath: string): Promise<net.Socket> {
  const socket = net.createConnection(socketPath);
  return new Promise<net.Socket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Nothing listens there any more: the socket was removed (ENOENT) or its process died (ECONNREFUSED). */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/**
 * Holds the persist process for a run: a stream kept open until `release`, so that the process does not end idle
 * in the middle of it (a long rolling pause). `onLost` is told when the process went away anyway.
 */
export async function takeLease(socketPath: string, onLost: () => void): Promise<{ release(): void }> {
  const socket = await openStream(socketPath);
  socket.write(`${JSON.stringify({ op: 'lease', token: readToken(socketPath) })}\n`);
  const reply = JSON.parse(await readLine(socket)) as MuxReply;
  if (!reply.ok)
    throw new SshError('closed', 'persist', `the --persist process refused a lease`, { unreachable: false });
  let released = false;
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (!released) onLost();
  });
  socket.resume();
  return {
    release: () => {
      released = true;
      socket.end();
    },
  };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the persist process on `socketPath` unless one answers there, and waits until it has written its token.
 * Its directory and socket must be the user's alone (else an EnvironmentError, before anything is asked).
 */
export async function ensurePersistProcess(socketPath: string, idleMs: number): Promise<void> {
  preparePersistDir(socketPath);
  if (!(await answers(socketPath))) {
    // Left by a process that was killed.
    for (const file of [socketPath, tokenPath(socketPath)]) rmSync(file, { force: true });
    spawn(process.execPath, [...daemonEntry(), socketPath, String(idleMs)], {
      detached: true,
      stdio: 'ignore',
      cwd: '/',
    }).unref();
  }
  for (let waited = 0; waited < 5000; waited += 25) {
    if (readToken(socketPath) !== undefined && (await answers(socketPath))) return;
    await sleep(25);
  }
  throw new SshError('closed', 'persist', `the --persist process did not start on ${socketPath}`, {
    unreachable: false,
  });
}
