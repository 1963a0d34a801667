// The `--persist` process: keeps one authenticated SSH connection per host open between convoy runs (as OpenSSH's
// ControlPersist does), serves channels on them over a unix socket only its user can open, and exits once idle.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { connect } from '../connect.ts';
import type { SshConnection } from '../connection.ts';
import { SshError } from '../errors.ts';
import { KnownHostsStore } from '../known-hosts-store.ts';
import type { MuxFailure, MuxReply, MuxRequest } from './protocol.ts';
import { encodeFrame, frame, readLine } from './protocol.ts';

function failureOf(error: unknown): MuxFailure {
  if (error instanceof SshError) return { kind: error.kind, message: error.message, unreachable: error.unreachable };
  return { kind: 'channel', message: error instanceof Error ? error.message : String(error), unreachable: false };
}

export function serveMux(socketPath: string, idleMs: number, onExit: () => void = () => process.exit(0)): net.Server {
  const connections = new Map<string, Promise<SshConnection>>();
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  const shutdown = () => {
    server.close();
    for (const c of connections.values())
      void c.then(
        (x) => x.close(),
        () => undefined,
      );
    // Only while the socket is still ours: a run that found it dead may have started a successor on the same path.
    if (ownsSocket()) {
      rmSync(socketPath, { force: true });
      rmSync(`${socketPath}.pid`, { force: true });
    }
    onExit();
  };
  const ownsSocket = () => {
    try {
      return Number(readFileSync(`${socketPath}.pid`, 'utf8')) === process.pid;
    } catch {
      return false;
    }
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    if (active === 0) idleTimer = setTimeout(shutdown, idleMs);
  };

  /** The host's connection, opened on first use and again after it was lost (the host rebooted, say). */
  const connectionFor = async (request: MuxRequest): Promise<SshConnection> => {
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
  };

  const handle = async (socket: net.Socket) => {
    const reply = (r: MuxReply) => socket.write(`${JSON.stringify(r)}\n`);
    const request = JSON.parse(await readLine(socket)) as MuxRequest;
    let connection: SshConnection;
    try {
      connection = await connectionFor(request);
    } catch (error) {
      reply({ ok: false, error: failureOf(error) });
      socket.end();
      return;
    }
    if (request.op === 'connect') {
      reply({ ok: true });
      socket.end();
    } else if (request.op === 'unix') {
      let channel;
      try {
        channel = await connection.openUnixSocket(request.path);
      } catch (error) {
        reply({ ok: false, error: failureOf(error) });
        socket.end();
        return;
      }
      reply({ ok: true });
      socket.pipe(channel).pipe(socket);
      socket.resume();
      channel.on('error', () => socket.destroy());
      socket.on('error', () => channel.destroy());
    } else {
      reply({ ok: true });
      try {
        const result = await connection.exec(request.command, {
          onStdout: (chunk) => socket.write(encodeFrame(frame.stdout, chunk)),
          onStderr: (chunk) => socket.write(encodeFrame(frame.stderr, chunk)),
        });
        socket.end(encodeFrame(frame.exit, JSON.stringify({ code: result.code, signal: result.signal })));
      } catch (error) {
        socket.end(encodeFrame(frame.failed, JSON.stringify(failureOf(error))));
      }
    }
  };

  const server = net.createServer((socket) => {
    active++;
    clearTimeout(idleTimer);
    socket.on('close', () => {
      active--;
      armIdle();
    });
    socket.on('error', () => undefined);
    handle(socket).catch(() => socket.destroy());
  });
  server.listen(socketPath, () => {
    chmodSync(socketPath, 0o600);
    // Which process to stop by hand (`kill $(cat ~/.convoy/persist.sock.pid)`), before its idle time is up.
    writeFileSync(`${socketPath}.pid`, `${process.pid}\n`, { mode: 0o600 });
    armIdle();
  });
  return server;
}
