// One host as every command and the deploy engine see it (docs/architecture.md, "The host session"): how to run
// commands (and as whom), how to move files, how to probe health and how to reach supervisord. Nothing above this
// layer touches the SSH connection.
import path from 'node:path';
import type { HealthCheck } from '../health/kinds.ts';
import { healthCommand } from '../health/kinds.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { CommandResult, ExecOptions, HostConnection } from '../ssh/connection.ts';
import type { LaidOutSupervisor, SupervisorHost } from '../supervisor/open.ts';
import { discoverLayout, openSupervisor, reachSupervisor } from '../supervisor/open.ts';
import type { SupervisorLayout } from '../supervisor/layout.ts';
import { findConfFunction, parseFindConfOutput, parseLayout, usualLayout } from '../supervisor/layout.ts';
import { basicAuth, execTransport, streamlocalTransport } from '../supervisor/transport.ts';
import type { RelayAs, RpcTransport } from '../supervisor/transport.ts';
import { SupervisorClient } from '../supervisor/client.ts';
import { killStepScript, newStepId, scriptShell, stepScript } from '../shell/script.ts';
import { shellQuote } from '../shell/quote.ts';
import type { SecretValue } from '../secrets/values.ts';
import { formatMs } from '../units/duration.ts';
import { RemoteStepError, StepTimeoutError, failureDetail } from './errors.ts';
import type { RootNeed } from './privilege.ts';
import { throughSudo } from './privilege.ts';
import { SudoOnHost } from './sudo.ts';
import { ttyOutput, ttyStep } from './tty-step.ts';
import { fileStep, uploadChunkBytes, uploadChunksPerHost } from './transfer.ts';
import type { RoundTrips } from './round-trips.ts';
import { countedConnection, noRoundTrips } from './round-trips.ts';

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
  private laidOutLazy: Promise<LaidOutSupervisor> | undefined;
  private readonly sudo: SudoOnHost;
  private connection: HostConnection;
  /** Channels opened on the host so far (src/host/round-trips.ts). */
  readonly roundTrips: RoundTrips = noRoundTrips();

  constructor(
    readonly host: HostConfig,
    connection: HostConnection,
    /** A new login to the host (a group joined since, or the old connection lost). */
    private readonly relogin: () => Promise<HostConnection>,
    /** How long one remote step may take (a command, a supervisord call); 0 = no limit. */
    readonly stepTimeoutMs = 0,
    /** `--ask-sudo-pass` / `--sudo-pass-file`: answered to sudo's prompt only (src/host/sudo.ts). */
    sudoPassword?: SecretValue,
  ) {
    this.sudo = new SudoOnHost(host.name, host.user, sudoPassword);
    this.connection = countedConnection(connection, this.roundTrips);
  }

  get name(): string {
    return this.host.name;
  }

  /** The host key the connection verified (ssh2 transport only), for relays that pin it (src/host/relay-key.ts). */
  get verifiedHostKey(): Buffer | undefined {
    return this.connection.hostKey;
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
    if (!throughSudo(this.host, 'requested')) return this.within('command', command, options);
    return this.viaSudo('command', `exec sh -c ${shellQuote(command)}`, command, options);
  }

  /**
   * A named step of Convoy's own: a POSIX sh script sent on stdin to `sh -s` (src/shell/script.ts), whatever the
   * login shell, with umask 022; `options.stdin` is the script's own input. Its result is a value whatever the exit.
   */
  script(step: string, script: string, need?: RootNeed, options: ExecOptions = {}): Promise<CommandResult> {
    const { stdin, ...rest } = options;
    if (need === undefined || !throughSudo(this.host, need, step)) {
      const stepId = newStepId();
      const whole = stepScript(script, stdin, stepId);
      return this.within(step, this.markedShell(stepId, options), { ...rest, stdin: whole }, stepId);
    }
    const whole = stepScript(script, stdin);
    return this.viaSudo(step, `exec ${scriptShell}`, whole, { ...rest, stdin: whole });
  }

  /**
   * The command a step's script runs under. The script marks what it starts (stepScript); on a root login the shell
   * itself is marked too, through `env` (one exec more, no process): sshd refuses to signal a root login's channel,
   * so a timed-out step is ended by its mark (endStep), and a shell left unmarked would go on to its next command. A
   * read in the kept shell stays `sh -s`: abandoned, that shell is closed.
   */
  private markedShell(stepId: string, options: ExecOptions): string {
    return this.host.user === 'root' && !options.keptShell ? `env CONVOY_STEP=${stepId} ${scriptShell}` : scriptShell;
  }

  /**
   * A step in `dir`: as the login where it may write there (a supervisord of its own, an include directory it owns),
   * else as root through the privilege policy. Exit 77 is the login's "cannot write" answer, never the script's.
   */
  async runWhereWritable(step: string, dir: string, script: string, options: ExecOptions = {}): Promise<void> {
    if (this.host.user !== 'root') {
      const own = await this.script(step, `[ -w ${shellQuote(dir)} ] || exit 77\n${script}`, undefined, options);
      if (own.code === 0) return;
      if (own.code !== 77) throw new RemoteStepError(this.name, step, own, failureDetail(own));
    }
    await this.runAsRoot(step, script, options);
  }

  /**
   * Whether a login script may run `sudo -n` itself for a root-only read: sudo is allowed and wants neither a
   * password nor a terminal. Otherwise such reads are steps of their own, through `runAsRoot`.
   */
  get inlineSudo(): boolean {
    return this.escalatesWithSudo && this.sudo.inline;
  }

  /** A login that is not root and may use sudo (`sudo = true`): root-only files are read through sudo here. */
  get escalatesWithSudo(): boolean {
    return this.host.sudo && this.host.user !== 'root';
  }

  /** Whether `runAsRoot` can work here (a root login, or sudo allowed): for reads that fall back to root. */
  get mayRunAsRoot(): boolean {
    return this.host.user === 'root' || this.host.sudo;
  }

  /**
   * `inner` (a command line) as root through sudo, its prompt answered (src/host/sudo.ts); where sudoers wants a
   * terminal, `content` (what `inner` would read or run) is put on the host by SFTP and run under a pty instead.
   */
  private async viaSudo(step: string, inner: string, content: string, options: ExecOptions): Promise<CommandResult> {
    if (this.sudo.needsTty) return this.viaSudoOnTty(step, content, options);
    const { command, answer } = this.sudo.wrap(inner);
    const result = await this.within(step, command, { ...options, answer });
    return this.sudo.judge(result, answer) === 'tty' ? this.viaSudoOnTty(step, content, options) : result;
  }

  /** Under a pty (requiretty): the payload by SFTP into a private directory, its errors told apart from its output. */
  private async viaSudoOnTty(step: string, content: string, options: ExecOptions): Promise<CommandResult> {
    const tty = ttyStep();
    // sudo's words first: a host whose password was refused gets nothing put on it.
    const { command, answer } = this.sudo.wrap(tty.inner);
    await this.putPrivate(tty.dir, tty.file, content);
    // The pty's one stream is told apart once the step ends: its output then reaches the callbacks in one piece.
    const { onStdout, onStderr, ...rest } = options;
    try {
      const result = await this.within(step, command, { ...rest, stdin: undefined, answer, pty: true });
      this.sudo.judge(result, answer);
      const told = ttyOutput(result, tty.errorsMark);
      if (told.stdout) onStdout?.(Buffer.from(told.stdout));
      if (told.stderr) onStderr?.(Buffer.from(told.stderr));
      return told;
    } finally {
      // The root shell removes the directory once it runs; if sudo refused first, the login removes its own files.
      if (answer.outcome !== 'ready' && !this.lost)
        await this.connection.exec(`rm -rf ${shellQuote(tty.dir)}`).catch(() => undefined);
    }
  }

  /**
   * Writes `content` to `dir/file` as the login, on a channel of its own (never through the pty): the directory new
   * and 0700, the file 0600, so that no other account reads a root step's script or slips a link in its place.
   */
  private async putPrivate(dir: string, file: string, content: string): Promise<void> {
    const where = shellQuote(dir);
    await this.run('upload a root step', `umask 077 && mkdir ${where} && cat > ${where}/${file}`, { stdin: content });
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
  private async within(
    step: string,
    command: string,
    options: ExecOptions,
    stepId?: string,
    ms = this.stepTimeoutMs,
  ): Promise<CommandResult> {
    if (!ms) return this.connection.exec(command, options);
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(new StepTimeoutError(this.name, step, formatMs(ms))), ms);
    const signal = options.signal ? AbortSignal.any([options.signal, limit.signal]) : limit.signal;
    try {
      return await this.connection.exec(command, { ...options, signal });
    } catch (error) {
      if (limit.signal.aborted && stepId !== undefined) await this.endStep(stepId);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends a timed-out step's processes on the host, whatever sshd did with the channel's KILL (it refuses it for a root
   * login): a stuck hook must not run on beside the next deploy. Bounded; a failure to end them is not the step's.
   */
  private async endStep(stepId: string): Promise<void> {
    if (this.lost) return;
    const kill = { stdin: killStepScript(stepId) };
    const ms = Math.min(this.stepTimeoutMs, 10_000);
    await this.within('end the timed-out step', scriptShell, kill, undefined, ms).catch(() => undefined);
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

  /**
   * The host's supervisord with its conf read (deploy needs the include directory), opened once per session.
   * `probe: false` (deploy): no call to find the way to the socket, the first real call finds it (streamlocal, else
   * the relay), one round trip less; a supervisord that does not answer fails that call instead of the opening.
   */
  laidOutSupervisor(options: { probe?: boolean } = {}): Promise<LaidOutSupervisor> {
    const open =
      options.probe === false
        ? () => this.openWithoutProbe()
        : () => openSupervisor(this.connection, this.supervisorHost());
    const opened = (options.probe === false ? this.laidOutLazy : this.laidOut) ?? open();
    if (options.probe === false) this.laidOutLazy = opened;
    else this.laidOut = opened;
    opened.catch(() => {
      if (this.laidOutLazy === opened) this.laidOutLazy = undefined;
      if (this.laidOut === opened) this.laidOut = undefined;
    });
    return opened;
  }

  private async openWithoutProbe(): Promise<LaidOutSupervisor> {
    return this.clientOn(await discoverLayout(this.connection, this.supervisorHost()));
  }

  /** Whether this run read the host's supervisord.conf already: laidOutSupervisor then answers without a round trip. */
  get layoutRead(): boolean {
    return this.laidOut !== undefined || this.laidOutLazy !== undefined;
  }

  /**
   * For a step that reads supervisord.conf in a script of its own (a deploy's first read, docs/deploy.md "Round
   * trips"): the shell function that prints it, and a client on the usual layout to call while the script runs; that
   * client only tries the usual socket (no search, no relay: a miss is an error the caller reads again after).
   * Undefined where the inventory names another conf.
   */
  layoutGuess(): { findConf: string; client: LaidOutSupervisor } | undefined {
    const host = this.supervisorHost();
    const layout = usualLayout(host.supervisorConf);
    if (!layout) return undefined;
    const transport = streamlocalTransport(this.connection, layout.socketPath);
    const client = new SupervisorClient(this.name, transport, layout, { callTimeoutMs: host.callTimeoutMs });
    return {
      findConf: findConfFunction(host.supervisorConf, host.readConfWithSudo),
      client: client as LaidOutSupervisor,
    };
  }

  /**
   * The layout that such a script printed (`findConf` output), this session's from now on: its client. Undefined when
   * it printed none or one Convoy cannot use: laidOutSupervisor then reads it on its own and says why.
   */
  adoptLayout(findConfOutput: string): LaidOutSupervisor | undefined {
    const found = parseFindConfOutput(findConfOutput);
    const parsed = found && parseLayout(found.confPath, found.text);
    if (!parsed?.ok) return undefined;
    const client = this.clientOn(parsed.layout);
    this.laidOutLazy ??= Promise.resolve(client);
    return client;
  }

  /** A client on `layout`'s socket: nothing is sent until its first call, which finds the way (streamlocal, else the relay). */
  private clientOn(layout: SupervisorLayout): LaidOutSupervisor {
    const host = this.supervisorHost();
    const reached = reachSupervisor(this.connection, host, layout);
    const transport: RpcTransport = {
      get kind() {
        return reached.transportKind;
      },
      post: (body) => reached.post(body),
    };
    return new SupervisorClient(this.name, transport, layout, {
      callTimeoutMs: host.callTimeoutMs,
    }) as LaidOutSupervisor;
  }

  /**
   * A client on the socket of a layout read by the caller (plan reads supervisord.conf in its own round trip): no
   * probe, nothing sent until the first call; the exec relay only where sshd refuses that socket.
   */
  supervisorAt(layout: SupervisorLayout): SupervisorClient {
    return reachSupervisor(this.connection, this.supervisorHost(), layout);
  }

  /** A supervisord client with a known layout (setup wrote it), reached as the login or through the relay. */
  openSupervisorAt(layout: SupervisorLayout): Promise<LaidOutSupervisor> {
    return openSupervisor(this.connection, this.supervisorHost(), layout);
  }

  /** Talks to supervisord's socket as root through the exec relay (setup's probe, before the login may use it). */
  supervisorAsRoot(layout: SupervisorLayout): SupervisorClient {
    const relayAs = this.relayAs('required', 'reach supervisord as root');
    const transport = execTransport(this.connection, layout.socketPath, relayAs, basicAuth(layout.credentials));
    return new SupervisorClient(this.name, transport, layout, { callTimeoutMs: this.stepTimeoutMs });
  }

  /**
   * Whether supervisord answers on its socket as root (setup's probe, before the login may use the socket): through
   * the relay, or where sudoers' `requiretty` leaves no byte stream for it, `supervisorctl pid` as a root step.
   */
  async supervisorAnswersAsRoot(layout: SupervisorLayout, confPath: string): Promise<boolean> {
    if (!this.sudo.needsTty) {
      try {
        await this.supervisorAsRoot(layout).getState();
        return true;
      } catch {
        if (!this.sudo.needsTty) return false;
      }
    }
    const said = await this.script('check supervisord', `supervisorctl -c ${shellQuote(confPath)} pid`, 'required');
    return said.code === 0 && /^\d+\s*$/.test(said.stdout);
  }

  /** Logs in again (a new login sees groups joined since; a lost connection is replaced). */
  async relog(): Promise<void> {
    this.connection = countedConnection(await this.relogin(), this.roundTrips);
    this.socketClient = undefined;
    this.laidOut = undefined;
  }

  private supervisorHost(): SupervisorHost {
    // Where sudo -n inside the search cannot read a root-only conf (a password, requiretty), a root step does.
    const rootRead = this.escalatesWithSudo;
    return {
      name: this.name,
      supervisorConf: this.host.supervisorConf,
      readConfWithSudo: this.inlineSudo,
      ...(rootRead ? { findConfAsRoot: (script: string) => this.runAsRoot('read supervisord.conf', script) } : {}),
      relayAs: this.relayAs('preferred'),
      callTimeoutMs: this.stepTimeoutMs,
    };
  }

  /** How the exec relay runs for `need`: through sudo (its prompt answered) where the policy says, else as the login. */
  private relayAs(need: RootNeed, step?: string): RelayAs {
    return (command) => {
      // Under requiretty the relay cannot speak through sudo (no pty for a byte stream): the login's own, if any.
      const sudo = throughSudo(this.host, need, step) && !(need === 'preferred' && this.sudo.needsTty);
      return sudo ? this.sudo.wrapChannel(`exec ${command}`) : { command };
    };
  }

  private checked(step: string, result: CommandResult): string {
    if (result.code === 0) return result.stdout;
    throw new RemoteStepError(this.name, step, result, failureDetail(result));
  }
}
