// One host as every command and the deploy engine see it (docs/architecture.md, "The host session"): how to run
// commands (and as whom), how to move files, how to probe health and how to reach supervisord. Nothing above this
// layer touches the SSH connection.
import path from 'node:path';
import type { HealthCheck } from '../health/kinds.ts';
import { healthCommand } from '../health/kinds.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { CommandResult, ExecOptions, HostConnection } from '../ssh/connection.ts';
import type { LaidOutSupervisor, SupervisorHost } from '../supervisor/open.ts';
import { openSupervisor, reachSupervisor } from '../supervisor/open.ts';
import type { SupervisorLayout } from '../supervisor/layout.ts';
import { basicAuth, execTransport } from '../supervisor/transport.ts';
import { SupervisorClient } from '../supervisor/client.ts';
import { stepScript } from '../shell/script.ts';
import { formatMs } from '../units/duration.ts';
import { RemoteStepError, StepTimeoutError, failureDetail } from './errors.ts';
import type { RootNeed } from './privilege.ts';
import { asRoot, shellFor } from './privilege.ts';
import { fileStep, uploadChunkBytes, uploadChunksPerHost } from './transfer.ts';

export type { CommandResult, ExecOptions };

/** How a health check went on the host: `detail` is its last words when it failed. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface PutOptions {
  /** Hosts uploading at the same time: each gets a share of one bounded window (see transfer.ts). */
  hostsAtOnce?: number;
}

export class HostSession {
  private socketClient: SupervisorClient | undefined;
  private laidOut: Promise<LaidOutSupervisor> | undefined;

  constructor(
    readonly host: HostConfig,
    private connection: HostConnection,
    /** A new login to the host (a group joined since, or the old connection lost). */
    private readonly relogin: () => Promise<HostConnection>,
    /** How long one remote step may take (a command, a supervisord call); 0 = no limit. */
    readonly stepTimeoutMs = 0,
  ) {}

  get name(): string {
    return this.host.name;
  }

  /** True once the connection is gone: later steps fail at once, so cleanups should not be tried on it. */
  get lost(): boolean {
    return this.connection.closed;
  }

  /** Runs a command line as the login; its result is a value whatever the exit code. */
  exec(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return this.within('command', command, options);
  }

  /** `exec` as root, because the user asked for it by name (`exec --sudo`, a task's `sudo()`). */
  execAsRoot(command: string, options: ExecOptions = {}): Promise<CommandResult> {
    return this.within('command', asRoot(this.host, command, 'requested'), options);
  }

  /**
   * A named step of Convoy's own: a POSIX sh script sent on stdin to `sh -s` (src/shell/script.ts), whatever the
   * login shell, with umask 022; `options.stdin` is the script's own input. Its result is a value whatever the exit.
   */
  script(step: string, script: string, need?: RootNeed, options: ExecOptions = {}): Promise<CommandResult> {
    const { stdin, ...rest } = options;
    const shell = shellFor(this.host, need, step);
    return this.within(step, shell, { ...rest, stdin: stepScript(script, stdin) });
  }

  /** A named step as the login: resolves with stdout, throws RemoteStepError on a non-zero exit. */
  async run(step: string, script: string, options: ExecOptions = {}): Promise<string> {
    return this.checked(step, await this.script(step, script, undefined, options));
  }

  /** A named step of Convoy's own as root: directly for a root login, `sudo -n` where the inventory allows it. */
  async runAsRoot(step: string, script: string, options: ExecOptions = {}): Promise<string> {
    return this.checked(step, await this.script(step, script, 'required', options));
  }

  /**
   * The command, bounded by the step timeout: past it the command is abandoned (closed on the host) and the step
   * fails naming itself and the limit, so that a stuck hook or a `df` on a dead mount cannot hold a lock forever.
   */
  private async within(step: string, command: string, options: ExecOptions): Promise<CommandResult> {
    const ms = this.stepTimeoutMs;
    if (!ms) return this.connection.exec(command, options);
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(new StepTimeoutError(this.name, step, formatMs(ms))), ms);
    const signal = options.signal ? AbortSignal.any([options.signal, limit.signal]) : limit.signal;
    try {
      return await this.connection.exec(command, { ...options, signal });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Copies a local file to the host (rejecting at once if the connection dies mid-transfer). */
  async put(local: string, remote: string, options: PutOptions = {}): Promise<void> {
    const concurrency = uploadChunksPerHost(options.hostsAtOnce ?? 1);
    await fileStep(
      this.name,
      `upload ${path.basename(local)}`,
      this.connection.putFile(local, remote, { concurrency, chunkSize: uploadChunkBytes }),
    );
  }

  /** Copies a file from the host to a local path. */
  async get(remote: string, local: string): Promise<void> {
    await fileStep(this.name, `download ${remote}`, this.connection.getFile(remote, local));
  }

  /** Runs the health check on the host itself (so it sees what the host sees), retrying until its deadline. */
  async probe(check: HealthCheck): Promise<ProbeResult> {
    const result = await this.script('health check', healthCommand(check));
    return { ok: result.code === 0, detail: result.stderr.trim().split('\n').pop() ?? '' };
  }

  /**
   * The host's supervisord for work that needs only its socket (status, control, logs): the usual socket first, the
   * host's conf read only when that fails. Made once per session; nothing is sent until the first call.
   */
  supervisor(): SupervisorClient {
    this.socketClient ??= reachSupervisor(this.connection, this.supervisorHost());
    return this.socketClient;
  }

  /** The host's supervisord with its conf read (deploy needs the include directory), opened once per session. */
  laidOutSupervisor(): Promise<LaidOutSupervisor> {
    this.laidOut ??= openSupervisor(this.connection, this.supervisorHost());
    this.laidOut.catch(() => {
      this.laidOut = undefined;
    });
    return this.laidOut;
  }

  /** A supervisord client with a known layout (setup wrote it), reached as the login or through the relay. */
  openSupervisorAt(layout: SupervisorLayout): Promise<LaidOutSupervisor> {
    return openSupervisor(this.connection, this.supervisorHost(), layout);
  }

  /** Talks to supervisord's socket as root through the exec relay (setup's probe, before the login may use it). */
  supervisorAsRoot(layout: SupervisorLayout): SupervisorClient {
    const relayAs = (command: string) => asRoot(this.host, command, 'required', 'reach supervisord as root');
    const transport = execTransport(this.connection, layout.socketPath, relayAs, basicAuth(layout.credentials));
    return new SupervisorClient(this.name, transport, layout, { callTimeoutMs: this.stepTimeoutMs });
  }

  /** Logs in again (a new login sees groups joined since; a lost connection is replaced). */
  async relog(): Promise<void> {
    this.connection = await this.relogin();
    this.socketClient = undefined;
    this.laidOut = undefined;
  }

  private supervisorHost(): SupervisorHost {
    const need: RootNeed = 'preferred';
    return {
      name: this.name,
      supervisorConf: this.host.supervisorConf,
      readConfWithSudo: this.host.sudo && this.host.user !== 'root',
      relayAs: (command) => asRoot(this.host, command, need),
      callTimeoutMs: this.stepTimeoutMs,
    };
  }

  private checked(step: string, result: CommandResult): string {
    if (result.code === 0) return result.stdout;
    throw new RemoteStepError(this.name, step, result, failureDetail(result));
  }
}
