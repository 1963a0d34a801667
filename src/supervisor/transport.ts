// HTTP to supervisord's unix socket on a host, over the host's one SSH connection: a streamlocal channel per call,
// or, where sshd refuses streamlocal forwarding, an exec channel running a tiny socket relay on the host.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AnsweredPrompt } from '../ssh/answer.ts';
import type { HostConnection } from '../ssh/connection.ts';
import { shellQuote } from '../shell/quote.ts';
import { ConvoyError } from '../errors.ts';
import type { HttpAnswer } from './keep-alive.ts';
import { KeptStreams, requestBytes } from './keep-alive.ts';

export type TransportKind = 'streamlocal' | 'exec';

export interface RpcTransport {
  readonly kind: TransportKind;
  /** POSTs an XML-RPC body to /RPC2 and resolves with the response body (HTTP 200 only); `signal` abandons it. */
  post(body: string, signal?: AbortSignal): Promise<string>;
}

/** supervisord cannot be reached on this host (no socket, no permission, not running). */
export class SupervisorUnavailableError extends ConvoyError {
  constructor(
    readonly host: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** sshd could not open a stream to the socket (no such socket, no permission, or streamlocal forwarding refused). */
export class SocketOpenRefusedError extends SupervisorUnavailableError {}

/** supervisord answered 401: its socket asks for a username and password (none, or wrong ones, were sent). */
export class SocketAuthError extends Error {}

/** The Authorization header for a socket with `username`/`password` (never logged: it is only ever a header). */
export function basicAuth(credentials?: { username: string; password: string }): string | undefined {
  if (!credentials) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

function authMessage(host: string, socketPath: string, sent: boolean): string {
  const why = sent ? 'refused the username and password of' : 'asks for a username and password; set them in';
  return `${host}: supervisord's socket ${socketPath} ${why} [supervisorctl] of the host's supervisord.conf (HTTP 401)`;
}

/** Runs one HTTP request over a stream that `open` provides (one stream per request; the server closes it). */
function postOver(
  open: () => Promise<Duplex>,
  body: string,
  describe: (error: unknown) => Error,
  auth?: string,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const request = http.request(
      {
        method: 'POST',
        path: '/RPC2',
        headers: {
          Host: 'localhost',
          'Content-Type': 'text/xml',
          'Content-Length': Buffer.byteLength(body),
          Connection: 'close',
          ...(auth ? { Authorization: auth } : {}),
        },
        createConnection: ((_options: unknown, done: (error: Error | null, stream?: Duplex) => void) => {
          open().then(
            (stream) => done(null, stream),
            (error: unknown) => done(describe(error)),
          );
          return undefined;
        }) as unknown as http.RequestOptions['createConnection'],
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(describe(error)));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 200) resolve(text);
          else if (response.statusCode === 401) reject(describe(new SocketAuthError('HTTP 401')));
          else
            reject(describe(new Error(`HTTP ${response.statusCode ?? '?'} from supervisord: ${text.slice(0, 200)}`)));
        });
      },
    );
    request.on('error', (error) => reject(error instanceof SupervisorUnavailableError ? error : describe(error)));
    // Abandoned (the call's timeout): the channel is closed, not left open to a supervisord that may never answer.
    signal?.addEventListener('abort', () => {
      request.destroy();
      reject(signal.reason);
    });
    request.end(body);
  });
}

/** A response's body as text (HTTP 200), else the error it stands for. */
function answerText(answer: HttpAnswer, describe: (error: unknown) => Error): string {
  const text = answer.body.toString('utf8');
  if (answer.status === 200) return text;
  if (answer.status === 401) throw describe(new SocketAuthError('HTTP 401'));
  throw describe(new Error(`HTTP ${answer.status} from supervisord: ${text.slice(0, 200)}`));
}

/** Calls over streamlocal channels kept open between calls (keep-alive.ts: one channel per call cost too much). */
export function streamlocalTransport(connection: HostConnection, socketPath: string, auth?: string): RpcTransport {
  const unreachable = (error: unknown) =>
    `${connection.host}: cannot reach supervisord's socket ${socketPath} through SSH: ${(error as Error).message}`;
  const describe = (error: unknown) =>
    error instanceof SupervisorUnavailableError
      ? error
      : new SupervisorUnavailableError(
          connection.host,
          error instanceof SocketAuthError
            ? authMessage(connection.host, socketPath, auth !== undefined)
            : unreachable(error),
          { cause: error },
        );
  const streams = new KeptStreams(() =>
    connection.openUnixSocket(socketPath).catch((error: unknown) => {
      if (error instanceof ConvoyError) throw error; // the connection itself is gone
      throw new SocketOpenRefusedError(connection.host, unreachable(error), { cause: error });
    }),
  );
  return {
    kind: 'streamlocal',
    post: async (body, signal) => {
      let answer: HttpAnswer;
      try {
        answer = await streams.post(requestBytes(body, auth), signal);
      } catch (error) {
        throw signal?.aborted || error instanceof ConvoyError ? error : describe(error);
      }
      return answerText(answer, describe);
    },
  };
}

/**
 * Copies stdin to the unix socket and the socket to stdout until supervisord closes it. Python is there wherever
 * supervisord is (it is a Python program); errors go to stderr as `ERRNO_NAME message` for a clear report.
 */
export const relayScript = [
  'import errno,os,select,socket,sys',
  's=socket.socket(socket.AF_UNIX)',
  'try:',
  ' s.connect(sys.argv[1])',
  'except OSError as e:',
  ' sys.stderr.write("%s %s\\n"%(errno.errorcode.get(e.errno,"E?"),e.strerror));sys.exit(3)',
  'i=sys.stdin.fileno();o=sys.stdout.fileno();r=[s,i]',
  'while True:',
  ' for f in select.select(r,[],[])[0]:',
  '  if f is s:',
  '   d=s.recv(65536)',
  '   if not d: sys.exit(0)',
  '   while d: d=d[os.write(o,d):]',
  '  else:',
  '   d=os.read(i,65536)',
  '   if d: s.sendall(d)',
  '   else: r.remove(i)',
].join('\n');

// One line of sh with no single quote, backslash, `!` or newline inside, so that every login shell (fish, tcsh) passes it to sh
// unchanged; the relay's Python goes as a base64 word (stdin is the relay's stream, so it cannot go there).
const relayLauncher =
  'PY=$(command -v python3 || command -v python || echo /usr/bin/python3); exec "$PY" -c "import base64,sys;exec(base64.b64decode(sys.argv.pop(1)))" "$0" "$1"';

/** The command line that runs the relay as the login (the host session wraps it in sudo when the relay should run as root). */
export function relayCommand(socketPath: string): string {
  const code = Buffer.from(relayScript, 'utf8').toString('base64');
  return `sh -c '${relayLauncher}' ${code} ${shellQuote(socketPath)}`;
}

/**
 * How the relay's command line is run: as the login (unchanged), or as root (the host session's privilege policy),
 * with sudo's prompt to answer on the channel before the relay speaks.
 */
export type RelayAs = (command: string) => { command: string; answer?: AnsweredPrompt | undefined };

export function execTransport(
  connection: HostConnection,
  socketPath: string,
  relayAs: RelayAs,
  auth?: string,
): RpcTransport {
  return {
    kind: 'exec',
    post: (body, signal) => {
      let stderr = '';
      return postOver(
        async () => {
          const relay = relayAs(relayCommand(socketPath));
          const channel = await connection.execChannel(relay.command, relay.answer);
          channel.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString('utf8');
          });
          return channel;
        },
        body,
        (error) =>
          new SupervisorUnavailableError(
            connection.host,
            error instanceof SocketAuthError
              ? authMessage(connection.host, socketPath, auth !== undefined)
              : unavailableMessage(connection.host, socketPath, stderr, error),
            { cause: error },
          ),
        auth,
        signal,
      );
    },
  };
}

function unavailableMessage(host: string, socketPath: string, stderr: string, error: unknown): string {
  const reason = stderr.trim().split('\n').pop() ?? '';
  if (reason.startsWith('ENOENT') || reason.startsWith('ECONNREFUSED')) {
    return `${host}: supervisord is not running (nothing listens on ${socketPath}): run \`convoy setup ${host}\``;
  }
  if (reason.startsWith('EACCES') || reason.startsWith('EPERM')) {
    return `${host}: the login may not use supervisord's socket ${socketPath} (permission denied): run \`convoy setup ${host}\` to add it to group supervisor, or set sudo = true`;
  }
  return `${host}: cannot talk to supervisord on ${socketPath}: ${reason || (error as Error).message}`;
}
