// The OpenSSH transport's streams: an ssh client as an exec channel, and a local forward's socket that tells a
// stream sshd could not open on the host from one that was answered.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Readable } from 'node:stream';
import type { ExecChannel } from './connection.ts';
import { ChannelRefusedError } from './connection.ts';

/** An ssh client's stdin and stdout as one duplex with its stderr beside it; destroying it ends the client. */
export function channelOf(child: ChildProcess): ExecChannel {
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  child.once('error', (error) => duplex.destroy(error));
  return Object.assign(duplex, { stderr: child.stderr as Readable });
}

/** The local end of a streamlocal forward: next to the control socket, named after the remote socket. */
export function forwardName(ctl: string, remote: string): string {
  return `${ctl}.${createHash('sha256').update(remote).digest('hex').slice(0, 8)}`;
}

/**
 * A connection to a forward's local socket. When sshd cannot open the remote socket (none there, no permission), the
 * master closes the local connection before any byte comes back; supervisord always answers a request, so such an
 * end is a refused channel (ChannelRefusedError), and callers may fall back as they do for ssh2's refusal. The wrapper
 * makes that error the stream's first word: a bare socket would report a plain end first ("socket hang up").
 */
export function refusalAware(localPath: string, remote: string): Promise<Duplex> {
  const socket = net.connect(localPath);
  let ended = false;
  const stream = new Duplex({
    allowHalfOpen: false,
    read: () => socket.resume(),
    write: (chunk: Buffer, _encoding, done) => socket.write(chunk, done),
    final: (done) => (socket.end(), done()),
    destroy: (error, done) => (socket.destroy(), done(error)),
  });
  // The socket's ref/unref on the stream: a supervisord channel kept idle between calls (src/supervisor/keep-alive.ts)
  // is unref'd, so that a forward kept open by --persist's master does not keep a finished command's process alive.
  Object.assign(stream, { ref: () => socket.ref(), unref: () => socket.unref() });
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => {
    ended = true;
    if (socket.bytesRead > 0) stream.push(null);
    else
      stream.destroy(
        new ChannelRefusedError(`sshd could not open ${remote} on the host (no such socket, or no permission)`),
      );
  });
  socket.on('close', () => {
    if (!ended) stream.destroy();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.on('error', (error) => stream.destroy(error));
      resolve(stream);
    });
    socket.once('error', reject);
  });
}
