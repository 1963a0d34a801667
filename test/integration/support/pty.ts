// A real terminal for tests that need one (a passphrase or sudo password prompt): python3's pty module, since native
// modules such as node-pty cannot build here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { convoyBin, repoRoot } from './sandbox.ts';

// Runs argv[1:] on a new pty (its controlling terminal: stdin, stdout, stderr and /dev/tty); answers each prompt that
// names PROMPT_MARK with the next line of ANSWERS (taken from the environment, so never on a command line); prints
// everything the terminal showed, then "EXIT=<code>".
export const ptyDriver = `
import os, pty, select, sys, time
answers = os.environ.pop('ANSWERS').split('\\n')
mark = os.environ.pop('PROMPT_MARK').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
answered = 0
deadline = time.time() + 90
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if out.count(mark) > answered and out.endswith(b': '):
        answered += 1
        os.write(fd, ((answers.pop(0) if answers else '') + '\\r').encode())
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\\nEXIT=%d\\n' % os.waitstatus_to_exitcode(status))
`;

/** What a convoy run on a terminal showed: its exit code, everything printed, and how many times `promptMark` showed. */
export interface TerminalRun {
  code: number;
  output: string;
  prompts: number;
}

/** Runs convoy with `args` on a new pty (HOME `home`, no agent), answering each prompt ending in `promptMark`. */
export function convoyOnTerminal(
  args: readonly string[],
  options: { home: string; answers: readonly string[]; promptMark: string; env?: NodeJS.ProcessEnv },
): TerminalRun {
  const r = spawnSync('python3', ['-c', ptyDriver, process.execPath, convoyBin, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      NO_COLOR: '1',
      HOME: options.home,
      SSH_AUTH_SOCK: '',
      ...options.env,
      ANSWERS: options.answers.join('\n'),
      PROMPT_MARK: options.promptMark,
    },
  });
  assert.equal(r.status, 0, r.stderr);
  const exit = /\nEXIT=(-?\d+)\n$/.exec(r.stdout);
  return { code: Number(exit?.[1]), output: r.stdout, prompts: r.stdout.split(options.promptMark).length - 1 };
}
