// An in-process ssh2.Server on 127.0.0.1:0 with scripted behaviour, for faults a real sshd will not produce on cue.
import net from 'node:net';
import ssh2 from 'ssh2';
import type { AddressInfo } from 'node:net';
import type { ServerChannel } from 'ssh2';
import { generateEd25519 } from '../../../src/ssh/keys.ts';

export const hostKey = generateEd25519('fake-host');
export const clientKey = generateEd25519('client');

export type ExecScript = (command: string, channel: ServerChannel, connection: ssh2.Connection) => void;

export interface FakeServer {
  port: number;
  close(): Promise<void>;
}

/** What the server saw: the client's address, and each public key offered (a key checked then signed counts once). */
export interface ServerObserver {
  onConnection?: (info: { ip: string }) => void;
  onKeyOffered?: (blob: Buffer) => void;
}

/** Accepts only `clientKey` (or `options.publicKey`), runs `onExec` for each exec request. */
export async function startSshServer(
  onExec: ExecScript,
  options: { acceptKey?: boolean; publicKey?: string | Buffer } & ServerObserver = {},
): Promise<FakeServer> {
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (connection, info) => {
    options.onConnection?.(info);
    connection.on('error', () => {});
    connection.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && !ctx.signature) options.onKeyOffered?.(ctx.key.data);
      const allowed = ssh2.utils.parseKey(options.publicKey ?? clientKey.public);
      if (
        options.acceptKey !== false &&
        ctx.method === 'publickey' &&
        !(allowed instanceof Error) &&
        ctx.key.data.equals(allowed.getPublicSSH())
      )
        return ctx.accept();
      ctx.reject(['publickey']);
    });
    connection.on('ready', () => {
      connection.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => onExec(info.command, acceptExec(), connection));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts and then never says a word (no SSH banner). */
export async function startSilentServer(): Promise<FakeServer & { sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that resets the first `resets` connections (as sshd past MaxStartups), then hands over to `port`. */
export async function startResettingProxy(
  resets: number,
  port: number,
): Promise<FakeServer & { connections: () => number }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.on('error', () => {});
    if (count <= resets) {
      socket.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
