// Typed SSH failures. Every failure before a session exists, and a host that goes silent mid-step, makes the host
// "unreachable" in summaries (as Ansible).
import { ConvoyError, ExitCode } from '../errors.ts';

export type SshFailureKind =
  | 'auth'
  | 'timeout'
  | 'refused'
  | 'dns'
  | 'network'
  | 'reset'
  | 'host-key-changed'
  | 'host-key-unknown'
  | 'host-key-revoked'
  | 'handshake'
  | 'jump'
  | 'proxy-command'
  | 'closed';

export class SshError extends ConvoyError {
  readonly kind: SshFailureKind;
  readonly host: string;
  /** True when the failure happened before a session was open (connect, handshake, host key, auth), or the host then stopped answering keepalives. */
  readonly unreachable: boolean;
  constructor(
    kind: SshFailureKind,
    host: string,
    message: string,
    options: { cause?: unknown; unreachable?: boolean } = {},
  ) {
    const unreachable = options.unreachable ?? true;
    super(message, { cause: options.cause, exitCode: unreachable ? ExitCode.unreachable : ExitCode.hostFailed });
    this.kind = kind;
    this.host = host;
    this.unreachable = unreachable;
  }

  /** Worth one more try: the server dropped us before the handshake (sshd MaxStartups), or the network blinked. */
  get retryable(): boolean {
    return this.kind === 'reset';
  }
}

interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

/** Maps an error from ssh2 or the socket to an SshError with a message that says what to do. */
export function toSshError(error: unknown, host: string, where: string, timeoutMs: number): SshError {
  if (error instanceof SshError) return error;
  const e = (error instanceof Error ? error : new Error(String(error))) as Ssh2Error;
  const code = e.code ?? '';
  if (e.level === 'client-authentication') {
    return new SshError(
      'auth',
      host,
      `${where}: authentication failed (the server accepted none of the offered keys): ${e.message}`,
      { cause: e },
    );
  }
  if (e.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new SshError(
      'timeout',
      host,
      `${where}: timed out after ${timeoutMs / 1000}s waiting for the SSH handshake`,
      { cause: e },
    );
  }
  if (code === 'ECONNREFUSED')
    return new SshError('refused', host, `${where}: connection refused (no sshd listening?)`, { cause: e });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new SshError('dns', host, `${where}: cannot resolve the address (${code})`, { cause: e });
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return new SshError('network', host, `${where}: network unreachable (${code})`, { cause: e });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /before handshake|Connection lost before/i.test(e.message)) {
    return new SshError(
      'reset',
      host,
      `${where}: connection reset during the handshake (sshd MaxStartups or network)`,
      { cause: e },
    );
  }
  if (e.level === 'handshake' || e.level === 'protocol') {
    return new SshError('handshake', host, `${where}: SSH handshake failed: ${e.message}`, { cause: e });
  }
  return new SshError('closed', host, `${where}: ${e.message}`, { cause: e });
}
