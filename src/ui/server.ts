// The dashboard's HTTP server (Node's http module): the page and its two files, the event stream, actions and log
// tails; every request checked first (src/ui/auth.ts). Loopback only unless asked otherwise (`--listen`).
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { UiSecrets } from './auth.ts';
import { checkRequest, hostNames, newSecrets, sessionCookie } from './auth.ts';
import { parseActionRequest } from './actions.ts';
import type { Dashboard } from './dashboard.ts';
import { SseStream } from './sse.ts';

/** The page's files, shipped in the package (package.json `files`): assets/ui beside src/ and dist/. */
export const assetsDir = path.resolve(import.meta.dirname, '..', '..', 'assets', 'ui');

const assets: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** The page loads only its own files and talks only to this server: nothing from outside, no inline script. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A log tail the page asked for: one program (or a group's `group:*`) on one host, or on every host (`host` absent). */
export interface LogRequest {
  host: string | undefined;
  program: string;
  stream: 'stdout' | 'stderr';
}

/** One line of a followed log, or a notice about it (a host that has no such program, bytes not shown as text). */
export interface LogLine {
  host: string;
  program: string;
  text: string;
  notice?: boolean;
}

export interface UiServerOptions {
  address: string;
  port: number;
  dashboard: Dashboard;
  /** Follows a log until `stopped` settles, handing each line to `onLine`. */
  followLog(request: LogRequest, onLine: (line: LogLine) => void, stopped: Promise<void>): Promise<void>;
  random?: (n: number) => Buffer;
}

export interface UiServer {
  /** The URL to open, with the token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const maxBodyBytes = 16 * 1024;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': type });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) reject(new Error(`request body over ${maxBodyBytes} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function postAction(options: UiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    send(res, 400, `expected a JSON body: ${(error as Error).message}`);
    return;
  }
  const dashboard = options.dashboard;
  const parsed = parseActionRequest(
    body,
    (host) => dashboard.view(host),
    () => dashboard.views(),
  );
  if (!parsed.ok) return send(res, 400, parsed.problem);
  const started = options.dashboard.start(parsed.request);
  if (!started.ok) return send(res, 409, started.problem);
  send(res, 202, JSON.stringify(started.progress), 'application/json');
}

function logRequestOf(url: URL): LogRequest | string {
  const program = url.searchParams.get('program') ?? '';
  const stream = url.searchParams.get('stream') ?? 'stdout';
  if (!/^[^:\s]+:[^:\s]+$/.test(program)) return 'program: expected group:name or group:*';
  if (stream !== 'stdout' && stream !== 'stderr') return 'stream: expected stdout or stderr';
  return { host: url.searchParams.get('host') ?? undefined, program, stream };
}

async function serveAsset(res: ServerResponse, asset: { file: string; type: string }): Promise<void> {
  send(res, 200, await readFile(path.join(assetsDir, asset.file), 'utf8'), asset.type);
}

function route(options: UiServerOptions, secrets: UiSecrets, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://server');
  const asset = assets[url.pathname];
  if (req.method === 'GET' && asset) return serveAsset(res, asset);
  if (req.method === 'GET' && url.pathname === '/events') {
    const stream = new SseStream(res);
    const leave = options.dashboard.join(stream, secrets.csrf);
    return stream.closed.then(leave);
  }
  if (req.method === 'GET' && url.pathname === '/logs') {
    const request = logRequestOf(url);
    if (typeof request === 'string') return send(res, 400, request);
    const stream = new SseStream(res);
    return options
      .followLog(request, (line) => stream.send('line', line), stream.closed)
      .catch((error: unknown) =>
        stream.send('line', { host: '', program: request.program, text: String(error), notice: true }),
      )
      .finally(() => stream.end());
  }
  if (req.method === 'POST' && url.pathname === '/actions') return postAction(options, req, res);
  return send(res, 404, 'not found');
}

function handler(options: UiServerOptions, secrets: UiSecrets, hosts: readonly string[] | 'any') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const verdict = checkRequest(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
      secrets,
      hosts,
    );
    if (!verdict.ok) return send(res, verdict.status, `${verdict.reason}\n`);
    if (verdict.redirect !== undefined) {
      res.writeHead(302, { ...securityHeaders, location: verdict.redirect, 'set-cookie': sessionCookie(secrets) });
      res.end();
      return;
    }
    Promise.resolve(route(options, secrets, req, res)).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, `${(error as Error).message}\n`);
      else res.end();
    });
  };
}

/** Listens on `address:port` (port 0: any free one) and answers until closed. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const secrets = newSecrets(port, options.random);
  server.on('request', handler(options, secrets, hostNames(options.address, port)));
  const shown = options.address === '0.0.0.0' || options.address === '::' ? '127.0.0.1' : options.address;
  const host = shown.includes(':') ? `[${shown}]` : shown;
  return {
    url: `http://${host}:${port}/?token=${secrets.token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
