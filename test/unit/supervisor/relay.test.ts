// The exec relay (the fallback when streamlocal forwarding is off) starts the same way under every login shell:
// run here through real bash, fish and tcsh against a real unix socket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { relayCommand } from '../../../src/supervisor/transport.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-relay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A socket that answers what it reads, upper-cased, then closes (as supervisord closes after its answer). */
async function shoutingSocket(file: string): Promise<net.Server> {
  const server = net.createServer((socket) =>
    socket.once('data', (data) => socket.end(data.toString('utf8').toUpperCase())),
  );
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return server;
}

function relayThrough(shell: string, socketPath: string, input: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(shell, ['-c', relayCommand(socketPath)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stdin.write(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

const shells = ['/bin/sh', '/bin/bash', '/usr/bin/fish', '/usr/bin/tcsh'].filter((shell) => existsSync(shell));

test('the relay carries bytes both ways under every login shell, a socket path with a space included', async () => {
  const socketPath = path.join(dir, 'super visor.sock');
  const server = await shoutingSocket(socketPath);
  try {
    for (const shell of shells)
      assert.deepEqual(await relayThrough(shell, socketPath, 'ping'), { code: 0, out: 'PING' }, shell);
  } finally {
    server.close();
  }
});

test('a socket that is not there is reported by name (ENOENT), exit 3', async () => {
  const result = await relayThrough('/bin/sh', path.join(dir, 'absent.sock'), '');
  assert.equal(result.code, 3);
  assert.match(result.out, /^ENOENT /);
});
