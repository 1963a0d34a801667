// The local protocol between a convoy run and its `--persist` process, over a unix socket: one request per stream,
// a JSON line each way, then either raw bytes (a unix socket on the host) or frames (a command's output and status).
import type { Socket } from 'node:net';
import type { ConnectSettings, SshTarget } from '../connect.ts';
import type { SshFailureKind } from '../errors.ts';

/**
 * Bumped on any change to requests, replies or frames. The socket's name carries it (src/host/fleet.ts), so a process
 * left running by another Convoy version (until its idle time ends) is never asked something it does not know: the
 * lease of version 2 made every host fail against a version 1 process after an upgrade. Version 3: exec takes stdin,
 * and every request carries the token the process wrote beside its socket (trust.ts). Version 4: file copies (`put`,
 * `get`) and raw exec channels (`channel`, the supervisord relay) go through it too. Version 5: `exec` may ask for
 * the host's kept shell (`kept`).
 */
export const muxProtocolVersion = 5;

/** ConnectSettings without the in-memory known_hosts store (the persist process keeps its own). */
// The run's keyring stays in the run: the persist process has no terminal to ask a passphrase on.
export type MuxSettings = Omit<ConnectSettings, 'knownHosts' | 'keys'>;

/**
 * What to do on the host: check (or open) its connection, run a command, open a unix socket there, copy a file, or
 * open a raw exec channel. `stdin` (base64) is the command's whole input, sent before the stream: Convoy's steps are
 * scripts for `sh -s`, which with `kept` (a short read that leaves nothing running) may run in the host's kept shell,
 * its output sent once it ended (src/ssh/kept-shell.ts). `put` and `get` name a local file by its absolute path: the process runs as the same user on
 * the same machine and reads or writes it itself (SFTP's parallel window at full speed, no second copy through the
 * socket); the reply comes when the copy is over.
 */
export type MuxOperation =
  | { op: 'connect' }
  | { op: 'exec'; command: string; stdin?: string; kept?: boolean }
  | { op: 'unix'; path: string }
  | { op: 'put'; local: string; remote: string; window: { concurrency: number; chunkSize: number } }
  | { op: 'get'; remote: string; local: string }
  | { op: 'channel'; command: string };
/**
 * A run in progress: the stream stays open until the run ends, and an open stream keeps the process from ending
 * idle (a rolling deploy's pause is not idleness).
 */
export type MuxLease = { op: 'lease' };
/** Every request carries the token of the process (see trust.ts): it is refused without it. */
export type MuxRequest = ((MuxOperation & { target: SshTarget; settings: MuxSettings }) | MuxLease) & { token: string };

/** `channel`: sshd refused to open the channel (no such socket, no permission); anything else is an SshError kind. */
export type MuxFailure = { kind: SshFailureKind | 'channel'; message: string; unreachable: boolean };
export type MuxReply = { ok: true } | { ok: false; error: MuxFailure };

/** From the process: output, exit status, failure; to it (a raw channel's input): bytes, then end of input. */
export const frame = { stdout: 1, stderr: 2, exit: 3, failed: 4, stdin: 5, eof: 6 } as const;

/** One frame: a type byte, a 4-byte length, the payload. */
export function encodeFrame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames as they complete; returns the function to feed it. */
export function frameReader(onFrame: (type: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) break;
      onFrame(pending.readUInt8(0), pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
    }
  };
}

/** Reads the first line of a stream; what came after it is put back for whoever reads next. */
export function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const newline = buffered.indexOf(10);
      if (newline < 0) return;
      cleanup();
      const rest = buffered.subarray(newline + 1);
      if (rest.length) socket.unshift(rest);
      resolve(buffered.subarray(0, newline).toString('utf8'));
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the persist process closed the stream'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    // Destroyed by this side (a read abandoned while it waits for the answer) emits close, not end.
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}
