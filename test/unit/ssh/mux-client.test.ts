// A run's side of `--persist`: it uses ~/.convoy and the socket in it only when they are its user's alone.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EnvironmentError } from '../../../src/errors.ts';
import { ensurePersistProcess } from '../../../src/ssh/mux/client.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'convoy-mux-client-'));
const asRoot = process.getuid?.() === 0;
const nobody = 65534;
const started: string[] = [];

/** The ~/.convoy of a HOME of its own (not made yet), and where its persist socket goes. */
function home(): { dir: string; socket: string } {
  const socket = path.join(mkdtempSync(path.join(work, 'home-')), '.convoy', 'persist-test.sock');
  started.push(socket);
  return { dir: path.dirname(socket), socket };
}

after(() => {
  // A persist process that should not have started (on code that accepted a foreign ~/.convoy) is stopped here.
  for (const socket of started) {
    try {
      process.kill(Number(readFileSync(`${socket}.pid`, 'utf8')), 'SIGTERM');
    } catch {
      // none started
    }
  }
});

async function refusal(work: Promise<unknown>): Promise<EnvironmentError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof EnvironmentError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

test('a new ~/.convoy is made 0700, and the process started there answers, with its token file 0600', async () => {
  const { dir, socket } = home();
  await ensurePersistProcess(socket, 300);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  assert.equal(statSync(`${socket}.token`).mode & 0o777, 0o600);
});

test('a ~/.convoy that its group or others can write is refused, and left as it is', async () => {
  const { dir, socket } = home();
  mkdirSync(dir);
  chmodSync(dir, 0o770);
  const error = await refusal(ensurePersistProcess(socket, 300));
  assert.equal(
    error.message,
    `--persist: ${dir} is writable by its group or others (mode 0770): another user could put their own socket there. Expected mode 0700: chmod 700 ${dir}`,
  );
  assert.equal(statSync(dir).mode & 0o777, 0o770);
  assert.equal(existsSync(socket), false, 'no persist process was started');
});

test('a ~/.convoy owned by another user is refused', { skip: asRoot ? undefined : 'needs root to chown' }, async () => {
  const { dir, socket } = home();
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, nobody, nobody);
  const error = await refusal(ensurePersistProcess(socket, 300));
  assert.equal(
    error.message,
    `--persist: ${dir} is owned by uid ${nobody}, not by you (uid 0): another user could put their own socket there. Remove it, or ask who made it.`,
  );
  assert.equal(existsSync(socket), false);
});

test(
  'a socket in ~/.convoy owned by another user is refused, never asked',
  {
    skip: asRoot ? undefined : 'needs root to chown',
  },
  async () => {
    const { dir, socket } = home();
    mkdirSync(dir, { mode: 0o700 });
    const impostor = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => impostor.listen(socket, resolve));
    let asked = 0;
    impostor.on('connection', () => asked++);
    try {
      chownSync(socket, nobody, nobody);
      const error = await refusal(ensurePersistProcess(socket, 300));
      assert.match(error.message, new RegExp(`^--persist: ${socket.replaceAll('.', '\\.')} is owned by uid ${nobody}`));
      assert.equal(asked, 0);
    } finally {
      impostor.close();
    }
  },
);

test('a symlink in place of ~/.convoy is refused', async () => {
  const { dir, socket } = home();
  const elsewhere = mkdtempSync(path.join(work, 'elsewhere-'));
  symlinkSync(elsewhere, dir);
  const error = await refusal(ensurePersistProcess(socket, 300));
  assert.match(error.message, /is not a directory \(a symbolic link\?\)/);
  assert.equal(existsSync(path.join(elsewhere, 'persist-test.sock')), false);
});
