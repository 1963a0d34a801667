// The OpenSSH transport's command lines and how it reads `ssh`'s failures: pure functions, tested string for string.
// Every argv goes to child_process.spawn as an array (no local shell); nothing secret is ever in one.
import { createHash } from 'node:crypto';
import type { ConnectSettings, SshTarget, SshTimeouts } from './connect.ts';
import { describeTarget, knownHostsFilesFor } from './connect.ts';
import type { SshFailureKind } from './errors.ts';
import { SshError } from './errors.ts';
import { shellQuote } from '../shell/quote.ts';

/**
 * The control socket's name for a host: a short hash, since a unix socket path is limited to ~104 bytes and the
 * master binds `<ControlPath>.<16 random characters>` first. Same host, same login, same port and same local address
 * (a master kept by --persist that leaves from another address is not the connection asked for): same master.
 */
export function controlName(target: Pick<SshTarget, 'user' | 'address' | 'port' | 'bindAddress'>): string {
  const from = target.bindAddress === undefined ? '' : ` from ${target.bindAddress}`;
  return createHash('sha256')
    .update(`${target.user}@${target.address}:${target.port}${from}`)
    .digest('hex')
    .slice(0, 12);
}

/** OpenSSH takes whole seconds: a fraction is rounded up (never to 0, which would mean "none"). */
export function wholeSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** A file name as an ssh option value: OpenSSH splits UserKnownHostsFile on spaces, so such a path is quoted. */
function optionPath(file: string): string {
  return /\s/.test(file) ? `"${file}"` : file;
}

/** How the transport reads the user's ssh config: `-F` when Convoy read another file than OpenSSH would. */
export interface SshConfigChoice {
  /** A file to pass with -F (the Include wrapper of openssh.ts); undefined: OpenSSH's own default files. */
  file?: string | undefined;
}

/**
 * The destination and what makes it the host Convoy resolved: the name ~/.ssh/config was searched for (so its
 * `Host` blocks apply as they did for Convoy: CertificateFile, IdentityAgent, …) with the inventory's address,
 * port and login winning over the config's.
 */
function destination(target: SshTarget, config: SshConfigChoice): string[] {
  return [
    ...(config.file ? ['-F', config.file] : []),
    '-o',
    `HostName=${target.address}`,
    '-p',
    String(target.port),
    '-l',
    target.user,
    '--',
    target.sshName ?? target.address,
  ];
}

/** Arguments of every client that rides on the master: no new connection of its own, no prompt, no tty. */
function muxClient(ctl: string): string[] {
  return ['-S', ctl, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
}

export interface MasterChoice {
  ctl: string;
  config: SshConfigChoice;
  timeouts: SshTimeouts;
  /** `--persist`: the master forks into the background and outlives the run until idle this long. */
  persistMs?: number | undefined;
  /** A jump host's master to go through (jumpCommand): the connection is a stream that master opens. */
  via?: string | undefined;
}

/**
 * The ProxyCommand that reaches a host through its jump host's master (`ssh -W` on it), so that the jump host is
 * logged in once, with its own inventory settings, and shared by every host behind it, as with ssh2. OpenSSH runs it
 * through sh: every word is quoted.
 */
export function jumpCommand(jump: SshTarget, jumpCtl: string, config: SshConfigChoice): string {
  const words = [...muxClient(jumpCtl), '-W', '%h:%p', ...destination(jump, config)];
  return ['ssh', ...words].map((w) => (w === '%h:%p' ? w : shellQuote(w))).join(' ');
}

/**
 * The master: authenticates once, then serves every command, forward and file of the run. Host keys and auth are
 * OpenSSH's own (known_hosts with @cert-authority, CertificateFile, the agent), never prompting.
 */
export function masterArgs(target: SshTarget, settings: ConnectSettings, choice: MasterChoice): string[] {
  const { timeouts, persistMs } = choice;
  const knownFiles = knownHostsFilesFor(target, settings).map(optionPath).join(' ');
  return [
    '-N',
    ...(persistMs === undefined ? [] : ['-f']),
    ...['-o', 'ControlMaster=yes', '-o', `ControlPath=${choice.ctl}`],
    ...['-o', `ControlPersist=${persistMs === undefined ? 'no' : wholeSeconds(persistMs)}`],
    ...['-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${settings.acceptNewHostKeys ? 'accept-new' : 'yes'}`],
    ...['-o', `UserKnownHostsFile=${knownFiles}`],
    ...['-o', `ConnectTimeout=${wholeSeconds(timeouts.connectTimeoutMs)}`],
    ...[
      '-o',
      `ServerAliveInterval=${timeouts.serverAliveIntervalMs === 0 ? '0' : wholeSeconds(timeouts.serverAliveIntervalMs)}`,
    ],
    ...['-o', `ServerAliveCountMax=${timeouts.serverAliveCountMax}`],
    // Forwards the user's config sets up for interactive use are not Convoy's to open.
    ...['-o', 'ClearAllForwardings=yes', '-o', 'LogLevel=ERROR'],
    ...(choice.via ? ['-o', `ProxyCommand=${choice.via}`] : []),
    // --bind-address and the inventory's bind_address beat ssh config's BindAddress, which OpenSSH would read itself.
    ...(target.bindAddress === undefined ? [] : ['-o', `BindAddress=${target.bindAddress}`]),
    ...target.identityFiles.flatMap((file) => ['-i', file]),
    ...destination(target, choice.config),
  ];
}

/** One command on the master: `command` goes as one word, which sshd hands to the login shell as ssh2's exec does. */
export function execArgs(
  target: SshTarget,
  ctl: string,
  config: SshConfigChoice,
  command: string,
  pty = false,
): string[] {
  // RemoteCommand=none: a RemoteCommand in the user's config would refuse a command line. A pty (sudoers'
  // requiretty) is forced with -tt, this side having no terminal of its own.
  return [
    ...muxClient(ctl),
    pty ? '-tt' : '-T',
    '-o',
    'RemoteCommand=none',
    '-o',
    'ClearAllForwardings=yes',
    ...destination(target, config),
    command,
  ];
}

/** A control request to the master: `check`, `exit`, or a streamlocal `forward`/`cancel` (local socket to remote). */
export function controlArgs(
  target: SshTarget,
  ctl: string,
  config: SshConfigChoice,
  request: 'check' | 'exit' | { op: 'forward' | 'cancel'; local: string; remote: string },
): string[] {
  const op =
    typeof request === 'string' ? ['-O', request] : ['-O', request.op, '-L', `${request.local}:${request.remote}`];
  return [...muxClient(ctl), ...op, ...destination(target, config)];
}

/**
 * Why the master did not come up, from what `ssh` printed (it exits 255 and says it in words only): the same kinds
 * and, where ssh2 has one, the same message as the ssh2 transport, so that summaries read alike.
 */
export function masterFailure(target: SshTarget, stderr: string, connectTimeoutMs: number): SshError {
  const where = describeTarget(target);
  const said = stderr.trim().split('\n').filter(Boolean).pop() ?? 'ssh exited 255 without a message';
  const [kind, message] = classify(stderr, said, connectTimeoutMs);
  return new SshError(kind, target.name, `${where}: ${message}`);
}

const failures: [RegExp, SshFailureKind, (said: string, timeoutMs: number) => string][] = [
  [
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/,
    'host-key-changed',
    () =>
      'REFUSED: the host key has CHANGED (OpenSSH: REMOTE HOST IDENTIFICATION HAS CHANGED). Someone may be intercepting the connection, or the host was reinstalled',
  ],
  [/revoked/i, 'host-key-revoked', (said) => `REFUSED: the host offered a revoked key (${said})`],
  [
    /Host key verification failed|No \S+ host key is known/,
    'host-key-unknown',
    (said) =>
      `REFUSED: unknown host key (OpenSSH: ${said}). Verify it, then pass --accept-new-host-keys once to record it.`,
  ],
  [
    /Permission denied/,
    'auth',
    (said) => `authentication failed (the server accepted none of the offered keys): ${said}`,
  ],
  [
    /Connection timed out|Operation timed out/,
    'timeout',
    (_, ms) => `timed out after ${ms / 1000}s waiting for the SSH handshake`,
  ],
  [/Connection refused/, 'refused', () => 'connection refused (no sshd listening?)'],
  [/Could not resolve hostname|Name or service not known/, 'dns', (said) => `cannot resolve the address (${said})`],
  [
    /Network is unreachable|No route to host|Cannot assign requested address/,
    'network',
    (said) => `network unreachable (${said})`,
  ],
  [
    /Connection reset|Connection closed by|kex_exchange_identification/,
    'reset',
    () => 'connection reset during the handshake (sshd MaxStartups or network)',
  ],
];

function classify(stderr: string, said: string, timeoutMs: number): [SshFailureKind, string] {
  for (const [pattern, kind, message] of failures) if (pattern.test(stderr)) return [kind, message(said, timeoutMs)];
  return ['handshake', `SSH handshake failed (OpenSSH: ${said})`];
}

// Files go through the master as a command's stdin or stdout: ssh2's SFTP client is bound to ssh2's own connection
// (it writes through the client's protocol object, not a stream), and a second SFTP client would add a program and a
// batch language to quote for. `sh -c` with the path as $0 reads the same in every login shell (sh, fish, tcsh).

/** The command that writes its stdin to `remote` (created or truncated, with the login's umask). */
export function copyToCommand(remote: string): string {
  return `sh -c 'cat >"$0"' ${shellQuote(remote)}`;
}

/** The command that writes `remote` to its stdout. */
export function copyFromCommand(remote: string): string {
  return `sh -c 'cat <"$0"' ${shellQuote(remote)}`;
}

/**
 * The -F file used when Convoy read another ssh config than OpenSSH would (HOME set to another directory than the
 * account's: OpenSSH reads ~/.ssh/config from the passwd entry): the same user file, then the system file, as
 * Convoy's own reader takes them.
 */
export function configWrapper(userConfig: string, systemConfig = '/etc/ssh/ssh_config'): string {
  return `# Written by Convoy for its OpenSSH transport: the files Convoy's own ssh config reader took.\nInclude "${userConfig}"\nInclude "${systemConfig}"\n`;
}

/** What a mux client's 255 says when the master would not run it (sshd's MaxSessions, a master going away). */
export function refusedByMaster(stderr: string): boolean {
  return /mux_client|Session open refused|Control socket connect|master (is )?(not running|refused)/i.test(stderr);
}
