// The one exit point: parse, run one command, map any error to a message and an exit code.
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { ConvoyError, ExitCode } from '../errors.ts';
import { buildProgram } from './program.ts';

export interface RunOptions {
  /** Resolves when the user interrupts; default: the process's first SIGINT. */
  interrupted?: Promise<void>;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stderr?: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the process exit code; never throws. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const writeErr = options.stderr ?? ((text: string) => process.stderr.write(text));
  let exitCode: number = ExitCode.ok;
  const program = buildProgram({
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    setExitCode: (code) => { exitCode = code; },
    stderr: writeErr,
    interrupted: options.interrupted ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())),
  });
  program.exitOverride();
  program.configureOutput({ writeErr });
  for (const command of program.commands) applyRecursively(command, (c) => c.exitOverride().configureOutput({ writeErr }));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, writeErr);
  }
}

function applyRecursively(command: Command, apply: (c: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyRecursively(sub, apply);
}

function reportError(error: unknown, writeErr: (text: string) => void): number {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed its own message for usage errors.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.badInput;
  }
  if (error instanceof ConvoyError) {
    writeErr(`convoy: ${error.message}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeErr(`convoy: internal error (please report it):\n${detail}\n`);
  return ExitCode.hostFailed;
}
