// The CLI's parsing and its one exit point, in process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Command } from 'commander';
import { run } from '../../../src/cli/main.ts';

async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await run(argv, {
    stderr: (t) => {
      stderr += t;
    },
    env: {},
  });
  return { code, stderr };
}

test('a bad flag value names the flag, the value and what was expected; exit 2', async () => {
  const r = await cli('sandbox', 'up', '--hosts', '0');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /option '--hosts <n>' argument '0' is invalid\. expected a whole number from 1 to 1000, got 0/,
  );
  const port = await cli('sandbox', 'up', '--port', 'ssh');
  assert.match(
    port.stderr,
    /option '--port <port>' argument 'ssh' is invalid\. expected a whole number from 1 to 65535, got 'ssh'/,
  );
});

test('an unknown command is bad input, with a suggestion', async () => {
  const r = await cli('deplyo');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'deplyo'/);
  assert.match(r.stderr, /Did you mean deploy\?/);
});

test('an unknown option is bad input', async () => {
  const r = await cli('sandbox', 'down', '--hsots', '3');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--hsots'/);
});

test('sandbox up --first-address outside loopback is refused before anything starts', async () => {
  const r = await cli(
    'sandbox',
    'up',
    '--first-address',
    '192.168.1.10',
    '--state-dir',
    '/tmp/convoy-unit-never-created',
  );
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "convoy: --first-address: '192.168.1.10' is not a loopback IPv4 address (expected 127.x.y.z, e.g. 127.0.1.1)\n",
  );
});

test('the help of every command shows an example', async () => {
  const { buildProgram } = await import('../../../src/cli/program.ts');
  const program = buildProgram({
    cwd: '/',
    env: {},
    setExitCode: () => {},
    stderr: () => {},
    interruption: { promise: new Promise(() => {}), requested: () => false, exitCode: () => 130 },
  });
  const missing: string[] = [];
  const visit = (command: Command, path: string) => {
    let text = '';
    command.configureOutput({
      writeOut: (t) => {
        text += t;
      },
      writeErr: (t) => {
        text += t;
      },
    });
    command.outputHelp();
    if (!/Examples?:/.test(text)) missing.push(path || 'convoy');
    for (const sub of command.commands) if (sub.name() !== 'help') visit(sub, `${path} ${sub.name()}`.trim());
  };
  visit(program, '');
  assert.deepEqual(missing, []);
});

test('--version prints the package version; exit 0', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const written: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let r;
  try {
    r = await cli('--version');
  } finally {
    process.stdout.write = original;
  }
  assert.equal(r.code, 0);
  assert.equal(written.join(''), `${version}\n`);
});
