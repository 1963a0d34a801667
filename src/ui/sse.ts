// Server-sent events: one frame per event, a comment now and then so that proxies and the browser keep the stream.
import type { ServerResponse } from 'node:http';

/** One SSE frame; the data is one JSON line (JSON.stringify escapes every newline, so a frame never splits). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const keepAliveMs = 15_000;

/** An open event stream to one page; `closed` settles when the page goes away. */
export class SseStream {
  readonly closed: Promise<void>;
  private readonly keepAlive: NodeJS.Timeout;
  private open = true;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
    this.closed = new Promise((resolve) =>
      res.on('close', () => {
        this.open = false;
        clearInterval(this.keepAlive);
        resolve();
      }),
    );
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(event: string, data: unknown): void {
    if (this.open) this.res.write(sseFrame(event, data));
  }

  end(): void {
    clearInterval(this.keepAlive);
    if (this.open) this.res.end();
  }
}
