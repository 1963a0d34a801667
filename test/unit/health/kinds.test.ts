// The health check command runs here in a real shell against real local servers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { healthCommand } from '../../../src/health/kinds.ts';

/** Runs a shell command without blocking this process's event loop (the servers below live in it). */
function sh(command: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('http: 2xx passes; a 5xx fails after the timeout with the reason', async () => {
  let status = 204;
  const server = http.createServer((_req, res) => {
    res.statusCode = status;
    res.end();
  });
  const port = await listen(server);
  try {
    assert.equal(
      (
        await sh(
          healthCommand({ kind: 'http', target: `http://127.0.0.1:${port}/health`, timeoutMs: 2000, intervalMs: 200 }),
        )
      ).code,
      0,
    );
    status = 503;
    const failed = await sh(
      healthCommand({ kind: 'http', target: `http://127.0.0.1:${port}/health`, timeoutMs: 1000, intervalMs: 200 }),
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /503/);
  } finally {
    server.close();
  }
});

test('http: a server that comes up during the wait passes', async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  const probe = net.createServer();
  const port = await listen(probe);
  probe.close();
  const check = sh(
    healthCommand({ kind: 'http', target: `http://127.0.0.1:${port}/`, timeoutMs: 4000, intervalMs: 100 }),
  );
  setTimeout(() => server.listen(port, '127.0.0.1'), 600);
  try {
    assert.equal((await check).code, 0);
  } finally {
    server.close();
  }
});

test('tcp: a listening port passes, a closed one fails within the timeout', async () => {
  const server = net.createServer(() => {});
  const port = await listen(server);
  try {
    assert.equal(
      (await sh(healthCommand({ kind: 'tcp', target: `127.0.0.1:${port}`, timeoutMs: 2000, intervalMs: 200 }))).code,
      0,
    );
  } finally {
    server.close();
  }
  const started = Date.now();
  const closed = await sh(
    healthCommand({ kind: 'tcp', target: `127.0.0.1:${port}`, timeoutMs: 1000, intervalMs: 200 }),
  );
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /refused/i);
  assert.ok(Date.now() - started < 5000);
});

test('command: its exit code decides, retried until the deadline', async () => {
  assert.equal(
    (await sh(healthCommand({ kind: 'command', target: 'true', timeoutMs: 1000, intervalMs: 100 }))).code,
    0,
  );
  const failing = await sh(
    healthCommand({ kind: 'command', target: 'echo not ready >&2; false', timeoutMs: 1000, intervalMs: 100 }),
  );
  assert.equal(failing.code, 1);
  assert.match(failing.stderr, /not ready/);
  const file = `/tmp/convoy-health-${process.pid}`;
  const eventually = await sh(
    `rm -f ${file}; (sleep 0.5; touch ${file}) & ${healthCommand({ kind: 'command', target: `test -e ${file}`, timeoutMs: 3000, intervalMs: 100 })}`,
  );
  assert.equal(eventually.code, 0, eventually.stderr);
});
