// HTTP/1.1 to supervisord over streams kept open between calls: a call takes an idle stream (or opens one), writes
// one request, reads one response, and gives the stream back. Opening an SSH channel per call cost four packets each
// way and an HTTP client per call; `convoy ui` polls every host every 2 s, and at 200 hosts that was most of the
// controller's CPU (docs/ui.md#scale). supervisord's medusa server keeps an HTTP/1.1 connection open after a response
// with a Content-Length, which every /RPC2 answer has (xmlrpc.py, and medusa's `error()` for 401 and 500).
// Written here rather than with node:http's keep-alive Agent: the Agent calls socket methods (setKeepAlive, ref,
// unref) that an SSH channel does not have, and supervisord's answers need only a status line and a Content-Length.
import type { Duplex } from 'node:stream';

/** A response as read off the stream: the status code, the body, and whether the stream may carry another call. */
export interface HttpAnswer {
  status: number;
  body: Buffer;
  reusable: boolean;
}

/** The stream ended, failed or spoke something other than HTTP/1.x with a Content-Length: it is not reused. */
export class KeptStreamError extends Error {}

/** Status code, Content-Length and whether the server says it closes, from a response's head (before \r\n\r\n). */
export function parseResponseHead(head: string): { status: number; length: number; close: boolean } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined)
    throw new KeptStreamError(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? NaN);
  if (!Number.isSafeInteger(length) || length < 0) throw new KeptStreamError('an HTTP response without Content-Length');
  const close = (headers.get('connection') ?? '').toLowerCase() === 'close' || statusLine.startsWith('HTTP/1.0');
  return { status: Number(status), length, close };
}

/** The request's bytes: HTTP/1.1, so that supervisord keeps the stream open after answering. */
export function requestBytes(body: string, auth?: string): Buffer {
  const payload = Buffer.from(body, 'utf8');
  const head = [
    'POST /RPC2 HTTP/1.1',
    'Host: localhost',
    'Content-Type: text/xml',
    `Content-Length: ${payload.length}`,
    ...(auth ? [`Authorization: ${auth}`] : []),
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** One request and its response on `stream`; rejects if the stream ends, fails or closes before the whole answer. */
export function exchange(stream: Duplex, request: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    let head: ReturnType<typeof parseResponseHead> | undefined;
    const settle = (error: Error | undefined, answer?: HttpAnswer) => {
      stream.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      if (error) reject(error);
      else resolve(answer as HttpAnswer);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!head) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          head = parseResponseHead(buffered.subarray(0, end).toString('latin1'));
          buffered = buffered.subarray(end + 4);
        }
      } catch (error) {
        settle(error as Error);
        return;
      }
      if (buffered.length < head.length) return;
      // Bytes past the answer were never asked for: the stream is out of step and is not reused.
      const reusable = !head.close && buffered.length === head.length;
      settle(undefined, { status: head.status, body: buffered.subarray(0, head.length), reusable });
    };
    const onEnd = () => settle(new KeptStreamError('supervisord closed the stream before it answered'));
    const onError = (error: Error) => settle(error);
    stream.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
    stream.write(request);
  });
}

/** How many idle streams a host keeps: the poll's, and one for a log tail or an action running beside it. */
const idleLimit = 2;

/** A net.Socket can be left out of what keeps the process alive; an ssh2 channel has no such methods. */
type Refable = Duplex & { ref?: () => void; unref?: () => void };

interface IdleStream {
  stream: Duplex;
  forget: () => void;
}

/** Streams to one socket, kept open between calls; a call never shares a stream with another running call. */
export class KeptStreams {
  private readonly idle: IdleStream[] = [];

  constructor(private readonly open: () => Promise<Duplex>) {}

  /**
   * One call: an idle stream if there is one, else a new one; given back only if the answer left it reusable. An
   * aborted call (its timeout) destroys its stream, so that a supervisord that never answers holds no channel.
   */
  async post(request: Buffer, signal?: AbortSignal): Promise<HttpAnswer> {
    signal?.throwIfAborted();
    const stream = this.take() ?? (await this.open());
    const abort = () =>
      stream.destroy(signal?.reason instanceof Error ? signal.reason : new KeptStreamError('aborted'));
    signal?.addEventListener('abort', abort, { once: true });
    let answer: HttpAnswer;
    try {
      answer = await exchange(stream, request);
    } catch (error) {
      stream.destroy();
      throw signal?.aborted ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    if (answer.reusable && this.idle.length < idleLimit) this.keep(stream);
    else stream.destroy();
    return answer;
  }

  /** Drops every idle stream (its SSH channel closes). */
  close(): void {
    for (const { stream } of this.idle.splice(0)) stream.destroy();
  }

  private take(): Duplex | undefined {
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      entry.stream.off('close', entry.forget).off('end', entry.forget);
      (entry.stream as Refable).ref?.();
      if (!entry.stream.destroyed && !entry.stream.readableEnded) return entry.stream;
    }
    return undefined;
  }

  private keep(stream: Duplex): void {
    // A stream that closes while idle (supervisord restarted, the connection went) is forgotten at once.
    const entry: IdleStream = {
      stream,
      forget: () => {
        const at = this.idle.indexOf(entry);
        if (at >= 0) this.idle.splice(at, 1);
        stream.destroy();
      },
    };
    stream.once('close', entry.forget).once('end', entry.forget);
    // An idle local socket (transport = openssh: a forward's end) must not keep a finished command's process alive.
    (stream as Refable).unref?.();
    this.idle.push(entry);
  }
}
