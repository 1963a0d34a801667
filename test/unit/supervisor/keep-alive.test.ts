// Calls over kept-open streams: one stream for calls one after another, a new one when the server closes or a call
// runs beside another, an abandoned call's stream closed, a stream closed while idle never reused.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KeptStreams, parseResponseHead, requestBytes } from '../../../src/supervisor/keep-alive.ts';

let dir: string;
let socketPath: string;
let server: http.Server;
let connections = 0;
const sockets = new Set<net.Socket>();

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-keep-alive-'));
  socketPath = path.join(dir, 'supervisor.sock');
  // As supervisord's server: HTTP/1.1 with a Content-Length keeps the stream; `close` in the body asks to close it.
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (body === 'never') return; // a wedged supervisord: takes the call, never answers
      res.setHeader('content-type', 'text/xml');
      if (body === 'close') res.setHeader('connection', 'close');
      res.end(`answer to ${body}`);
    });
  });
  server.on('connection', (s: net.Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const streams = () => new KeptStreams(async () => net.connect(socketPath));
const text = async (kept: KeptStreams, body: string, signal?: AbortSignal) =>
  (await kept.post(requestBytes(body), signal)).body.toString();

test('calls one after another share one stream', async () => {
  const kept = streams();
  const before = connections;
  assert.equal(await text(kept, 'a'), 'answer to a');
  assert.equal(await text(kept, 'b'), 'answer to b');
  assert.equal(await text(kept, 'c'), 'answer to c');
  assert.equal(connections - before, 1);
  kept.close();
});

test('calls at the same time each have a stream; an answer that says close is not reused', async () => {
  const kept = streams();
  const before = connections;
  assert.deepEqual(await Promise.all(['a', 'b'].map((b) => text(kept, b))), ['answer to a', 'answer to b']);
  assert.equal(connections - before, 2);
  assert.equal(await text(kept, 'close'), 'answer to close');
  assert.equal(await text(kept, 'd'), 'answer to d');
  assert.equal(connections - before, 2, 'the closed one replaced by the other idle one');
  kept.close();
});

test('an abandoned call (its timeout) closes its stream and rejects with the reason', async () => {
  const kept = streams();
  await new Promise((r) => setTimeout(r, 50)); // the earlier tests' streams are gone
  const open = sockets.size;
  const limit = new AbortController();
  setTimeout(() => limit.abort(new Error('too late')), 100);
  await assert.rejects(text(kept, 'never', limit.signal), /too late/);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sockets.size, open, 'the server saw the stream close');
  kept.close();
});

test('a stream the server closed while idle is not reused', async () => {
  const kept = streams();
  assert.equal(await text(kept, 'a'), 'answer to a');
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await text(kept, 'b'), 'answer to b');
  kept.close();
});

test("a response's head: status, Content-Length, close", () => {
  assert.deepEqual(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/xml'), {
    status: 200,
    length: 12,
    close: false,
  });
  assert.equal(parseResponseHead('HTTP/1.1 500 Internal\r\nConnection: close\r\nContent-Length: 0').close, true);
  assert.equal(parseResponseHead('HTTP/1.0 200 OK\r\nContent-Length: 0').close, true);
  assert.throws(() => parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked'), /without Content-Length/);
  assert.throws(() => parseResponseHead('SSH-2.0-OpenSSH'), /not an HTTP response/);
});

test('the request: HTTP/1.1 (kept open), its length in bytes, the password header only when there is one', () => {
  const request = requestBytes('é', 'Basic eDp5').toString('utf8');
  assert.equal(
    request,
    'POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: 2\r\nAuthorization: Basic eDp5\r\n\r\né',
  );
  assert.doesNotMatch(requestBytes('x').toString(), /Authorization/);
});
