// The kept shell's request and marker protocol against a real local `sh -s` (no SSH here: the persist process's use
// of it over a real sshd is test/integration/kept-shell.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { ClientChannel } from 'ssh2';
import { KeptShell, MarkedStream } from '../../../src/ssh/kept-shell.ts';
import { stepScript } from '../../../src/shell/script.ts';

/** A local `sh -s` in the shape of an ssh2 exec channel: what KeptShell uses of one. */
function localChannel(): { opener: { execChannel(command: string): Promise<ClientChannel> }; pid: () => number } {
  const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const channel = Object.assign(new EventEmitter(), {
    stderr: child.stderr,
    write: (text: string) => child.stdin.write(text),
    signal: (name: string) => child.kill(`SIG${name}` as NodeJS.Signals),
    close: () => child.stdin.end(),
  });
  child.stdout.on('data', (chunk: Buffer) => channel.emit('data', chunk));
  // On exit, not on close: a process the read left behind (the abort test's sleep) may hold the pipes a while.
  child.on('exit', () => channel.emit('close'));
  opened.push(child);
  return {
    opener: { execChannel: () => Promise.resolve(channel as unknown as ClientChannel) },
    pid: () => child.pid ?? 0,
  };
}
const opened: ReturnType<typeof spawn>[] = [];
after(() =>
  opened.forEach((c) => {
    c.kill('SIGKILL');
    c.stdout?.destroy();
    c.stderr?.destroy();
  }),
);

async function run(shell: KeptShell, script: string, input?: string) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await shell.run(stepScript(script, input), {
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

test('the marker splits a stream at any chunk boundary: the bytes before it, then its value', () => {
  fc.assert(
    fc.property(fc.string(), fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
      const nonce = 'CONVOY-END-abc';
      const whole = Buffer.from(`${text}\n${nonce}:17\nafter`);
      const stream = new MarkedStream(nonce);
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
      const got: Buffer[] = [];
      let from = 0;
      for (const at of [...points, whole.length]) {
        got.push(stream.feed(whole.subarray(from, at)));
        from = at;
      }
      assert.equal(Buffer.concat(got).toString(), text);
      assert.equal(stream.ended, '17');
    }),
  );
});

test('reads in one kept shell: output exact (no last newline kept or added), stderr apart, exit statuses', async () => {
  const local = localChannel();
  const shell = await KeptShell.open(local.opener);
  assert.deepEqual(await run(shell, 'printf abc; echo oops >&2'), { code: 0, stdout: 'abc', stderr: 'oops\n' });
  assert.deepEqual(await run(shell, 'echo "$$"; exit 7'), { code: 7, stdout: `${local.pid()}\n`, stderr: '' });
  // `exit` ended the read's subshell only; a variable it set is gone with it.
  await run(shell, 'leaked=yes');
  assert.deepEqual(await run(shell, 'echo "[${leaked-}]"; cd /'), { code: 0, stdout: '[]\n', stderr: '' });
  assert.equal((await run(shell, 'pwd')).stdout, `${process.cwd()}\n`);
  assert.ok(shell.idle);
});

test('a step input embedded in the script, quotes and 300 KB of output come through whole', async () => {
  const shell = await KeptShell.open(localChannel().opener);
  const input = `it's "quoted" $HOME \`x\` \\ ${'\u00e9'}\n`;
  assert.equal((await run(shell, 'cat', input)).stdout, input);
  const big = await run(shell, 'i=0; while [ $i -lt 3000 ]; do printf "%099d\\n" $i; i=$((i+1)); done');
  assert.equal(big.stdout.length, 300_000);
  assert.equal(big.stdout.split('\n')[2999], '0'.repeat(95) + '2999');
});

test('a read cannot take the next request as its input: it reads nothing', async () => {
  const shell = await KeptShell.open(localChannel().opener);
  assert.deepEqual(await run(shell, 'cat; echo done'), { code: 0, stdout: 'done\n', stderr: '' });
  assert.equal((await run(shell, 'echo next')).stdout, 'next\n');
});

test('an abort ends the shell and rejects; the shell is then ended, never reused', async () => {
  const shell = await KeptShell.open(localChannel().opener);
  const abort = new AbortController();
  const running = shell.run(stepScript('sleep 3'), { signal: abort.signal });
  setTimeout(() => abort.abort(new Error('step timeout')), 100);
  await assert.rejects(running, /step timeout/);
  assert.ok(shell.ended);
  assert.ok(!shell.idle);
  await assert.rejects(shell.run(stepScript('true')), /busy or gone/);
});

test('a shell that ends mid-read rejects that read', async () => {
  const shell = await KeptShell.open(localChannel().opener);
  await assert.rejects(run(shell, 'kill -9 $$; sleep 1'), /ended/);
  assert.ok(shell.ended);
});
