// The health check command runs here in a real shell against real local servers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { healthCommand } from '../../../src/health/kinds.ts';
import { appSpecFor } from '../../../src/deploy/app-spec.ts';
import { validateApp } from '../../../src/tasks/validate.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

test('retries: at most that many attempts, then it fails without waiting for the timeout', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-health-'));
  const tries = path.join(dir, 'tries');
  const started = Date.now();
  const r = await sh(
    healthCommand({
      kind: 'command',
      target: `echo x >> ${tries}; exit 1`,
      timeoutMs: 10_000,
      intervalMs: 100,
      retries: 3,
    }),
  );
  assert.equal(r.code, 1);
  assert.equal(readFileSync(tries, 'utf8'), 'x\nx\nx\n');
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  rmSync(dir, { recursive: true, force: true });
});

test('retries in a task file reach the check that runs on the host', () => {
  const host = {
    name: 'h',
    address: '127.0.0.1',
    port: 22,
    user: 'u',
    identityFiles: [],
    sudo: false,
    vars: {},
    groups: [],
  };
  const { app } = validateApp(
    {
      name: 'a',
      root: '/srv/a',
      programs: { a: { command: 'run' } },
      healthcheck: { tcp: '{{address}}:80', retries: 2 },
    },
    { hosts: [host] },
  );
  assert.ok(app);
  assert.equal(appSpecFor(app, host).gate.healthcheck?.retries, 2);
});
