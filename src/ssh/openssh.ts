// `transport = openssh`: a host reached through the system `ssh`, for what ssh2 cannot do (host certificates trusted
// through @cert-authority, user certificates, whatever ~/.ssh/config sets up). One ControlMaster per host holds the
// login; every command, supervisord's socket (a streamlocal forward on the master) and every file go through it.
// Control sockets live in a private 0700 directory, removed at the end of the run with the masters (`ssh -O exit`).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { ConnectSettings, SshTarget, SshTimeouts } from './connect.ts';
import { describeTarget } from './connect.ts';
import type { CommandResult, ExecChannel, ExecOptions, HostConnection } from './connection.ts';
import { abortReason, channelWhenReady, keptOutput, routeThroughPrompt } from './connection.ts';
import { SshError } from './errors.ts';
import type { AnsweredPrompt } from './answer.ts';
import type { SshConfigChoice } from './openssh-args.ts';
import {
  controlArgs,
  copyFromCommand,
  copyToCommand,
  execArgs,
  jumpCommand,
  masterArgs,
  masterFailure,
  refusedByMaster,
} from './openssh-args.ts';
import { channelOf, refusalAware, forwardName } from './openssh-streams.ts';
import { TailBuffer } from './tail-buffer.ts';

/** The OpenSSH client this transport runs (its directory is the PATH's). */
export const sshProgram = 'ssh';

/** One host's master as every client reaches it: its control socket, the config to read, the environment. */
export interface MasterLink {
  target: SshTarget;
  ctl: string;
  config: SshConfigChoice;
  env: NodeJS.ProcessEnv;
  /** The ProxyCommand through a jump host's master (jumpCommand), when the host has a jump. */
  via?: string | undefined;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Every ssh this transport starts is in a process group of its own (`detached`): a Ctrl-C on the terminal goes to
 * Convoy, which lets steps in flight finish, and not to the masters and commands under them.
 */
export function spawnSsh(args: string[], env: NodeJS.ProcessEnv, stderr: 'pipe' | number = 'pipe'): ChildProcess {
  return spawn(sshProgram, args, { stdio: ['pipe', 'pipe', stderr], env, detached: true });
}

/** Runs a short ssh (a control request) to its end. */
export function runSsh(args: string[], env: NodeJS.ProcessEnv): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawnSsh(args, env);
    let stderr = '';
    child.stdin?.end();
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error) => resolve({ code: 255, signal: null, stderr: error.message }));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

// sshd allows MaxSessions (default 10) session channels per connection; stay below it, as the ssh2 transport does.
const sessionsPerMaster = 8;

export class OpenSshConnection implements HostConnection {
  readonly host: string;
  readonly description: string;
  private closedError: SshError | undefined;
  private readonly sessions = pLimit(sessionsPerMaster);
  private readonly forwards = new Map<string, Promise<string>>();
  private ended: Promise<void> | undefined;

  constructor(
    private readonly link: MasterLink,
    /** This run's master process; absent for a master kept by `--persist` (reached through its socket only). */
    private readonly master?: ChildMaster,
  ) {
    this.host = link.target.name;
    this.description = describeTarget(link.target);
    master?.exited.then((error) => this.markClosed(error));
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  guard<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  /** Runs a shell command line on the master; resolves with its result whatever its exit code. */
  exec(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return this.sessions(() => this.execNow(command, options));
  }

  private execNow(command: string, options: ExecOptions): Promise<CommandResult> {
    const { signal: abort } = options;
    if (this.closedError) return Promise.reject(this.closedError);
    if (abort?.aborted) return Promise.reject(abortReason(abort));
    const started = performance.now();
    const child = this.client(command, options.pty);
    const stdout = new TailBuffer();
    const stderr = new TailBuffer();
    // sudo's prompt, when there is one, is answered on the client's stdin (src/ssh/answer.ts), input held till ready.
    const route = routeThroughPrompt(child.stdin as Writable, options);
    const keep = (buffer: TailBuffer, on: ((chunk: Buffer) => void) | undefined) => (own: Buffer | undefined) => {
      if (!own?.length) return;
      buffer.push(own);
      on?.(own);
    };
    child.stdout?.on('data', (chunk: Buffer) => keep(stdout, options.onStdout)(route.stdout(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => keep(stderr, options.onStderr)(route.stderr(chunk)));
    return new Promise<CommandResult>((resolve, reject) => {
      // Abandoned: the client goes, and with it the session on the master; sshd closes the command's pipes.
      const onAbort = () => (child.kill('SIGKILL'), reject(abortReason(abort)));
      abort?.addEventListener('abort', onAbort, { once: true });
      child.once('error', (error) => reject(this.startError(error)));
      child.once('close', (code, signal) => {
        abort?.removeEventListener('abort', onAbort);
        if (abort?.aborted) return;
        const durationMs = Math.round(performance.now() - started);
        const kept = keptOutput(stdout, stderr);
        const said = options.answer?.preamble() ?? '';
        const result = { host: this.host, code, signal: null, ...kept, stderr: said + kept.stderr, durationMs };
        this.judged(code, signal, stderr.text()).then((lost) => (lost ? reject(lost) : resolve(result)), reject);
      });
    });
  }

  /**
   * A client's end: its exit code is the command's, except 255, which OpenSSH also gives for a lost connection and a
   * command killed by a signal (its client does not pass the signal on): the master is asked whether it still lives.
   */
  private async judged(
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
  ): Promise<SshError | undefined> {
    if (code !== 255 && code !== null) return undefined;
    if (this.closedError) return this.closedError;
    if (signal) return this.lost(`the ssh client was killed by ${signal}`);
    const check = await runSsh(controlArgs(this.link.target, this.link.ctl, this.link.config, 'check'), this.link.env);
    if (check.code !== 0) {
      this.markClosed(this.lost(`connection lost${lastLine(check.stderr)}`));
      return this.closedError;
    }
    if (refusedByMaster(stderr)) return this.lost(`cannot open a session${lastLine(stderr)}`, false);
    return undefined;
  }

  private lost(what: string, mark = true): SshError {
    const error = new SshError('closed', this.host, `${this.description}: ${what}`, { unreachable: false });
    if (mark) this.markClosed(error);
    return error;
  }

  private startError(error: Error): SshError {
    return new SshError('closed', this.host, `${this.description}: cannot run ${sshProgram}: ${error.message}`, {
      cause: error,
      unreachable: false,
    });
  }

  /** A mux client running `command` (stdin, stdout and stderr piped). */
  private client(command: string, pty = false): ChildProcess {
    const { target, ctl, config, env } = this.link;
    const child = spawnSsh(execArgs(target, ctl, config, command, pty), env);
    // A command that does not read its input closes the pipe: not an error of ours.
    child.stdin?.on('error', () => undefined);
    return child;
  }

  /** A raw exec channel (the supervisord relay): the client's stdin and stdout as one stream, its stderr beside it. */
  async execChannel(command: string, answer?: AnsweredPrompt): Promise<ExecChannel> {
    const channel = await this.openChannel(command);
    return answer ? channelWhenReady(channel, answer) : channel;
  }

  private openChannel(command: string): Promise<ExecChannel> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<ExecChannel>((resolve) => {
      // The session slot is held until the client ends, not just while it starts.
      void this.sessions(
        () =>
          new Promise<void>((release) => {
            const child = this.client(command);
            child.once('close', () => release());
            child.once('error', () => release());
            resolve(channelOf(child));
          }),
      );
    });
  }

  /** Writes a local file to the host through the master (the command's stdin). */
  async putFile(local: string, remote: string): Promise<void> {
    await this.copy(copyToCommand(remote), createReadStream(local), undefined);
  }

  /** Reads a file of the host into a local one; a failed copy leaves no partial file. */
  async getFile(remote: string, local: string): Promise<void> {
    try {
      await this.copy(copyFromCommand(remote), undefined, createWriteStream(local));
    } catch (error) {
      rmSync(local, { force: true });
      throw error;
    }
  }

  private copy(command: string, input: Readable | undefined, output: Writable | undefined): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return this.sessions(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = this.client(command);
          const stderr = new TailBuffer(4096);
          child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
          const stdin = child.stdin as Writable;
          const sent = input ? pipeline(input, stdin) : (stdin.end(), Promise.resolve());
          const received = output && child.stdout ? pipeline(child.stdout, output) : Promise.resolve();
          if (!output) child.stdout?.resume();
          child.once('error', (error) => reject(this.startError(error)));
          child.once('close', (code, signal) => {
            void Promise.allSettled([sent, received]).then(async ([wrote, read]) => {
              const lost = await this.judged(code, signal, stderr.text());
              if (lost) return reject(lost);
              if (code === 0 && wrote?.status === 'fulfilled' && read?.status === 'fulfilled') return resolve();
              const local = [wrote, read].find((r) => r?.status === 'rejected') as PromiseRejectedResult | undefined;
              reject(
                new Error(stderr.text().trim() || (local?.reason as Error)?.message || `exited with code ${code}`),
              );
            });
          });
        }),
    );
  }

  /**
   * A stream to a unix socket on the host: a streamlocal forward on the master (set up once per socket, named after
   * it), then a local connection to its end in the private directory. A stream sshd could not open on the host ends
   * before any byte: it fails with ChannelRefusedError, as the ssh2 transport's refused channel does.
   */
  async openUnixSocket(socketPath: string): Promise<Duplex> {
    if (this.closedError) throw this.closedError;
    return refusalAware(await this.forwardTo(socketPath), socketPath);
  }

  private forwardTo(remote: string): Promise<string> {
    let forward = this.forwards.get(remote);
    if (!forward) {
      const { target, ctl, config, env } = this.link;
      const local = forwardName(ctl, remote);
      // A master kept by --persist keeps its forwards: one made by an earlier run is used as it is, no ssh started.
      if (!this.master && existsSync(local)) return Promise.resolve(local);
      // The master answers OK to a forward it already has (one kept by --persist from an earlier run).
      forward = runSsh(controlArgs(target, ctl, config, { op: 'forward', local, remote }), env).then((ended) => {
        if (ended.code === 0) return local;
        if (this.closedError) throw this.closedError;
        throw new Error(`the master refused a forward to ${remote}${lastLine(ended.stderr)}`);
      });
      this.forwards.set(remote, forward);
      forward.catch(() => this.forwards.delete(remote));
    }
    return forward;
  }

  forwardTcp(): Promise<never> {
    // Hosts behind this one go through its master as a ProxyCommand (proxyCommand), never through a TCP stream here.
    return Promise.reject(new Error('transport = openssh opens no TCP forwards: a jump goes through proxyCommand()'));
  }

  /** How a host behind this one reaches it: `ssh -W` on this master. */
  proxyCommand(): string {
    return jumpCommand(this.link.target, this.link.ctl, this.link.config);
  }

  /** Ends this run's master (`ssh -O exit`, its forwards with it); a master kept by --persist is left running. */
  close(): void {
    this.ended ??= this.exitMaster();
  }

  /** Settles when close() has ended the master. */
  whenClosed(): Promise<void> {
    return this.ended ?? Promise.resolve();
  }

  private async exitMaster(): Promise<void> {
    const { target, ctl, config, env } = this.link;
    this.markClosed(
      new SshError('closed', this.host, `${this.description}: connection closed`, { unreachable: false }),
    );
    await runSsh(controlArgs(target, ctl, config, 'exit'), env);
    if (this.master) await this.master.stop(2000);
  }

  /** For a process ending at once (a second Ctrl-C): the master is signalled, nothing awaited. */
  killNow(): void {
    this.master?.kill();
  }

  private markClosed(error: SshError): void {
    this.closedError ??= error;
  }
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop()?.trim();
  return line ? `: ${line}` : '';
}

/** This run's master process: ready once its control socket exists, lost (with the reason) when it exits. */
export interface ChildMaster {
  exited: Promise<SshError>;
  kill(): void;
  stop(ms: number): Promise<void>;
}

/**
 * Starts a master as a child of this run and waits until it has logged in (its control socket appears only then),
 * within the connect timeout (OpenSSH's ConnectTimeout bounds the TCP connect only, Convoy's the whole handshake).
 */
export async function startMaster(
  link: MasterLink,
  settings: ConnectSettings,
  timeouts: SshTimeouts,
): Promise<ChildMaster> {
  rmSync(link.ctl, { force: true });
  const child = spawnSsh(
    masterArgs(link.target, settings, { ctl: link.ctl, config: link.config, timeouts, via: link.via }),
    link.env,
  );
  child.stdin?.end();
  const stderr = new TailBuffer(8192);
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const state = await waitForSocket(link.ctl, gone, timeouts.connectTimeoutMs + 1000);
  const where = describeTarget(link.target);
  if (state !== 'up') {
    child.kill('SIGKILL');
    await gone;
    if (spawnError)
      throw new SshError('handshake', link.target.name, `${where}: cannot run ${sshProgram}: ${spawnError.message}`);
    if (state === 'timeout')
      throw new SshError(
        'timeout',
        link.target.name,
        `${where}: timed out after ${timeouts.connectTimeoutMs / 1000}s waiting for the SSH handshake`,
      );
    throw masterFailure(link.target, stderr.text(), timeouts.connectTimeoutMs);
  }
  return childMaster(child, gone, () => lossOf(link.target, timeouts, stderr.text()));
}

function childMaster(child: ChildProcess, gone: Promise<void>, reason: () => SshError): ChildMaster {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return {
    exited: gone.then(reason),
    kill,
    stop: async (ms) => {
      const timer = setTimeout(kill, ms);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Why a master that was up went away: keepalives unanswered (as ssh2's silence), else a lost connection. */
function lossOf(target: SshTarget, timeouts: SshTimeouts, stderr: string): SshError {
  const where = describeTarget(target);
  if (/Timeout, server .* not responding/.test(stderr)) {
    const silentS = ((timeouts.serverAliveIntervalMs * (timeouts.serverAliveCountMax + 1)) / 1000).toFixed(1);
    return new SshError(
      'timeout',
      target.name,
      `${where}: lost: the host stopped answering for ${silentS}s (${timeouts.serverAliveCountMax} keepalives unanswered; --timeout or server_alive_interval/server_alive_count_max set this)`,
    );
  }
  return new SshError('closed', target.name, `${where}: connection lost${lastLine(stderr)}`, { unreachable: false });
}

/** True when something listens on the unix socket (a master; a stale file refuses). */
function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForSocket(ctl: string, gone: Promise<void>, ms: number): Promise<'up' | 'gone' | 'timeout'> {
  let exited = false;
  void gone.then(() => (exited = true));
  const deadline = performance.now() + ms;
  for (let wait = 5; ; wait = Math.min(wait * 2, 50)) {
    if (existsSync(ctl)) return 'up';
    if (exited) return 'gone';
    if (performance.now() > deadline) return 'timeout';
    await Promise.race([sleep(wait), gone]);
  }
}

/**
 * `--persist`: a master that outlives the run, forked by ssh itself (`-f`, ControlPersist = the idle time) once it
 * has logged in, so `ssh`'s exit says whether it did. A master already answering on the socket is reused (warm).
 */
export async function persistentMaster(
  link: MasterLink,
  settings: ConnectSettings,
  timeouts: SshTimeouts,
  idleMs: number,
): Promise<void> {
  const { target, ctl, config, env } = link;
  // A warm master is one that accepts on its socket: asked without starting an ssh (`-O check` costs a process).
  if (await accepts(ctl)) return;
  // Left by a master that was killed: its socket and its forwards' sockets.
  for (const name of readdirSync(path.dirname(ctl)))
    if (name.startsWith(path.basename(ctl))) rmSync(path.join(path.dirname(ctl), name), { force: true });
  const log = `${ctl}.log`;
  const fd = openSync(log, 'w', 0o600);
  const child = spawnSsh(
    masterArgs(target, settings, { ctl, config, timeouts, persistMs: idleMs, via: link.via }),
    env,
    fd,
  );
  closeSync(fd);
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeouts.connectTimeoutMs + 1000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(255));
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  if (code === 0) return;
  const said = existsSync(log) ? readFileSync(log, 'utf8') : '';
  if (code === null)
    throw new SshError(
      'timeout',
      target.name,
      `${describeTarget(target)}: timed out after ${timeouts.connectTimeoutMs / 1000}s waiting for the SSH handshake`,
    );
  throw masterFailure(target, said, timeouts.connectTimeoutMs);
}
