// The CLI in process, as a user runs it: argv in, exit code and both streams out. Nothing connects unless a
// command is pointed at a host.
import { run } from '../../../src/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {},
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}
