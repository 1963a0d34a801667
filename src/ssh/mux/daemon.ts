// The `--persist` process: keeps one authenticated SSH connection per host open between convoy runs (as OpenSSH's
// ControlPersist does), serves channels on them over a unix socket only its user can open, and exits once idle.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { connect } from '../connect.ts';
import type { SshConnection } from '../connection.ts';
import { SshError } from '../errors.ts';
import { KnownHostsStore } from '../known-hosts-store.ts';
import { KeptShell } from '../kept-shell.ts';
import type { MuxFailure, MuxLease, MuxReply, MuxRequest } from './protocol.ts';

/** A request about a host (not a lease). */
type HostRequest = Exclude<MuxRequest, MuxLease>;
import { encodeFrame, frame, frameReader, readLine } from './protocol.ts';
import { tokenMatches, tokenPath, writeToken } from './trust.ts';

function failureOf(error: unknown): MuxFailure {
  if (error instanceof SshError) return { kind: error.kind, message: error.message, unreachable: error.unreachable };
  return { kind: 'channel', message: error instanceof Error ? error.message : String(error), unreachable: false };
}

/** The persist process: its connections by host, and the client streams open now (it exits after idleMs at none). */
interface Daemon {
  socketPath: string;
  idleMs: number;
  onExit: () => void;
  server: net.Server;
  /** What a peer must present (written beside the socket once it listens): see writeToken. */
  token: string;
  connections: Map<string, Promise<SshConnection>>;
  /** Each connection's kept shell (src/ssh/kept-shell.ts), opened on the first read that may use one. */
  keptShells: WeakMap<SshConnection, Promise<KeptShell | undefined>>;
  active: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Serves runs on `socketPath`; ends once idle for `idleMs`, or at once on `stopSignals` (the persist process's own). */
export function serveMux(
  socketPath: string,
  idleMs: number,
  onExit: () => void = () => process.exit(0),
  stopSignals: readonly NodeJS.Signals[] = [],
): net.Server {
  const server = net.createServer();
  const daemon: Daemon = {
    socketPath,
    idleMs,
    onExit,
    server,
    token: '',
    connections: new Map(),
    keptShells: new WeakMap(),
    active: 0,
    idleTimer: undefined,
  };
  server.on('connection', (socket) => accept(daemon, socket));
  // `kill $(cat …pid)` closes the connections and removes the socket and pid file, as the idle end does.
  for (const signal of stopSignals) process.once(signal, () => shutdown(daemon));
  listenPrivately(server, socketPath, () => {
    daemon.token = writeToken(socketPath);
    // Which process to stop by hand (`kill $(cat ~/.convoy/persist-v5.sock.pid)`), before its idle time is up.
    writeFileSync(`${socketPath}.pid`, `${process.pid}\n`, { mode: 0o600 });
    armIdle(daemon);
  });
  return server;
}

/** The socket is created 0600 (umask around the bind, which `listen` does at once on a path): never looser. */
function listenPrivately(server: net.Server, socketPath: string, onListening: () => void): void {
  const umask = process.umask(0o177);
  try {
    server.listen(socketPath, onListening);
  } finally {
    process.umask(umask);
  }
}

function shutdown(daemon: Daemon): void {
  daemon.server.close();
  for (const c of daemon.connections.values())
    void c.then(
      (x) => x.close(),
      () => undefined,
    );
  // Only while the socket is still ours: a run that found it dead may have started a successor on the same path.
  if (ownsSocket(daemon.socketPath)) {
    rmSync(daemon.socketPath, { force: true });
    rmSync(`${daemon.socketPath}.pid`, { force: true });
    rmSync(tokenPath(daemon.socketPath), { force: true });
  }
  daemon.onExit();
}

function ownsSocket(socketPath: string): boolean {
  try {
    return Number(readFileSync(`${socketPath}.pid`, 'utf8')) === process.pid;
  } catch {
    return false;
  }
}

function armIdle(daemon: Daemon): void {
  clearTimeout(daemon.idleTimer);
  if (daemon.active === 0) daemon.idleTimer = setTimeout(() => shutdown(daemon), daemon.idleMs);
}

/** One client stream: counted while open, so that the idle timer runs only when there is none. */
function accept(daemon: Daemon, socket: net.Socket): void {
  daemon.active++;
  clearTimeout(daemon.idleTimer);
  socket.on('close', () => {
    daemon.active--;
    armIdle(daemon);
  });
  socket.on('error', () => undefined);
  handle(daemon, socket).catch(() => socket.destroy());
}

/** The host's connection, opened on first use and again after it was lost (the host rebooted, say). */
async function connectionFor(daemon: Daemon, request: HostRequest): Promise<SshConnection> {
  const { connections } = daemon;
  const key = JSON.stringify([request.target, request.settings]);
  const existing = connections.get(key);
  if (existing) {
    const connection = await existing.catch(() => undefined);
    if (connection && !connection.closed) return connection;
  }
  // known_hosts read afresh for each new connection: the file may have changed since the process started.
  const opened = connect(request.target, { ...request.settings, knownHosts: new KnownHostsStore() });
  connections.set(key, opened);
  opened.catch(() => connections.delete(key));
  return opened;
}

/** Reads the stream's one request and serves it on the host's connection. */
async function handle(daemon: Daemon, socket: net.Socket): Promise<void> {
  const request = JSON.parse(await readLine(socket)) as MuxRequest;
  if (!tokenMatches(daemon.token, request.token)) {
    const message = `the --persist process refused: the request did not carry the token of ${tokenPath(daemon.socketPath)}`;
    refuse(socket, new SshError('closed', 'persist', message, { unreachable: false }));
    return;
  }
  if (request.op === 'lease') {
    // Held open by the run until it ends; counted as active like any stream.
    reply(socket, { ok: true });
    socket.resume();
    return;
  }
  let connection: SshConnection;
  try {
    connection = await connectionFor(daemon, request);
  } catch (error) {
    refuse(socket, error);
    return;
  }
  if (request.op === 'connect') {
    reply(socket, { ok: true });
    socket.end();
  } else if (request.op === 'unix') {
    await pipeUnixSocket(connection, request.path, socket);
  } else if (request.op === 'exec') {
    const kept = request.kept && request.stdin !== undefined ? await keptShellOf(daemon, connection) : undefined;
    if (kept?.idle && (await runKept(kept, Buffer.from(request.stdin ?? '', 'base64'), socket))) return;
    await streamExec(connection, request.command, request.stdin, socket);
  } else if (request.op === 'channel') {
    await relayChannel(connection, request.command, socket);
  } else {
    await copyFile(connection, request, socket);
  }
}

/** A client that goes away (its run ended or was interrupted) abandons what it asked for. */
function whileConnected(socket: net.Socket): AbortSignal {
  const gone = new AbortController();
  socket.once('close', () => gone.abort(new Error('the client went away')));
  return gone.signal;
}

/** `put` or `get`: the reply comes once the copy is over (or failed); a client gone mid-copy ends it. */
async function copyFile(
  connection: SshConnection,
  request: Extract<HostRequest, { op: 'put' | 'get' }>,
  socket: net.Socket,
): Promise<void> {
  const signal = whileConnected(socket);
  try {
    if (request.op === 'put') await connection.putFile(request.local, request.remote, { ...request.window, signal });
    else await connection.getFile(request.remote, request.local, { signal });
  } catch (error) {
    if (!signal.aborted) refuse(socket, error);
    return;
  }
  reply(socket, { ok: true });
  socket.end();
}

/**
 * A raw exec channel (the supervisord relay): after the reply, the client's frames are the command's input (then its
 * end), and the command's output comes back as frames, its exit status last.
 */
async function relayChannel(connection: SshConnection, command: string, socket: net.Socket): Promise<void> {
  const channel = await openedOrRefused(socket, () => connection.execChannel(command));
  if (!channel) return;
  let status = { code: null as number | null, signal: null as string | null };
  channel.on('exit', (code: number | null, signal?: string) => (status = { code, signal: signal ?? null }));
  channel.on('data', (chunk: Buffer) => socket.write(encodeFrame(frame.stdout, chunk)));
  channel.stderr.on('data', (chunk: Buffer) => socket.write(encodeFrame(frame.stderr, chunk)));
  channel.on('close', () => socket.end(encodeFrame(frame.exit, JSON.stringify(status))));
  channel.on('error', () => socket.destroy());
  socket.on(
    'data',
    frameReader((type, payload) => {
      if (type === frame.stdin) channel.write(payload);
      if (type === frame.eof) channel.end();
    }),
  );
  socket.on('close', () => channel.close());
  socket.resume();
}

/** The channel `open` gives, answered ok to the client; undefined (and the client told why) when it failed. */
async function openedOrRefused<C>(socket: net.Socket, open: () => Promise<C>): Promise<C | undefined> {
  try {
    const channel = await open();
    reply(socket, { ok: true });
    return channel;
  } catch (error) {
    refuse(socket, error);
    return undefined;
  }
}

function reply(socket: net.Socket, r: MuxReply): void {
  socket.write(`${JSON.stringify(r)}\n`);
}

function refuse(socket: net.Socket, error: unknown): void {
  reply(socket, { ok: false, error: failureOf(error) });
  socket.end();
}

/** After the reply, the stream is the unix socket on the host, both ways. */
async function pipeUnixSocket(connection: SshConnection, path: string, socket: net.Socket): Promise<void> {
  const channel = await openedOrRefused(socket, () => connection.openUnixSocket(path));
  if (!channel) return;
  socket.pipe(channel).pipe(socket);
  socket.resume();
  channel.on('error', () => socket.destroy());
  socket.on('error', () => channel.destroy());
}

/**
 * After the reply, the command's output as frames, then its exit status (or why it failed) as the last one. A client
 * that goes away (Ctrl-C twice, a step timeout) has its command closed on the host: it would otherwise hold one of
 * the connection's few session slots for good.
 */
async function streamExec(
  connection: SshConnection,
  command: string,
  stdin: string | undefined,
  socket: net.Socket,
): Promise<void> {
  reply(socket, { ok: true });
  const signal = whileConnected(socket);
  try {
    const result = await connection.exec(command, {
      ...(stdin === undefined ? {} : { stdin: Buffer.from(stdin, 'base64') }),
      onStdout: (chunk) => socket.write(encodeFrame(frame.stdout, chunk)),
      onStderr: (chunk) => socket.write(encodeFrame(frame.stderr, chunk)),
      signal,
    });
    socket.end(encodeFrame(frame.exit, JSON.stringify({ code: result.code, signal: result.signal })));
  } catch (error) {
    if (!signal.aborted) socket.end(encodeFrame(frame.failed, JSON.stringify(failureOf(error))));
  }
}

/** The connection's kept shell, opened once it is first asked for and again after it ended; undefined if it cannot be. */
async function keptShellOf(daemon: Daemon, connection: SshConnection): Promise<KeptShell | undefined> {
  const existing = await daemon.keptShells.get(connection);
  if (existing && !existing.ended) return existing;
  const opened = KeptShell.open(connection).catch(() => undefined);
  daemon.keptShells.set(connection, opened);
  return opened;
}

/**
 * A read in the kept shell (which the caller saw idle): its output is held until it ended, then sent as exec's
 * frames. False, with nothing sent, when the shell ended under it (the host closed it, say): the read is then run in
 * a session of its own, as a read can be run twice. A client gone mid-read has the shell closed with it.
 */
async function runKept(shell: KeptShell, script: Buffer, socket: net.Socket): Promise<boolean> {
  const out: Buffer[] = [];
  const signal = whileConnected(socket);
  // Read on (the client sends nothing more), so that its end is seen while the read runs and nothing is written yet.
  socket.resume();
  let code: number;
  try {
    code = await shell.run(script.toString('utf8'), {
      onStdout: (chunk) => out.push(encodeFrame(frame.stdout, chunk)),
      onStderr: (chunk) => out.push(encodeFrame(frame.stderr, chunk)),
      signal,
    });
  } catch {
    return signal.aborted;
  }
  reply(socket, { ok: true });
  for (const f of out) socket.write(f);
  socket.end(encodeFrame(frame.exit, JSON.stringify({ code, signal: null })));
  return true;
}
