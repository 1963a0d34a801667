// The one exit point: parse, run one command, map any error to a message and an exit code.
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { ConvoyError, ExitCode } from '../errors.ts';
import { buildProgram } from './program.ts';
import type { InterruptHandler } from './interrupt.ts';
import { listenForInterrupts } from './interrupt.ts';
import type { Interruption } from '../commands/interruption.ts';
import type { PassphrasePrompt } from '../host/fleet.ts';
import { terminalPassphrasePrompt, terminalSudoPasswordPrompt } from './passphrase.ts';
import type { SudoPasswordPrompt } from './passphrase.ts';

export interface RunOptions {
  /** Default: the process's SIGINTs (first: stop starting work; second: exit at once). */
  interruption?: Interruption;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stderr?: (text: string) => void;
  /** Default: the process's stdout (a terminal decides the view and colors). */
  stdout?: (text: string) => void;
  /** Default: asked on the terminal when stdin is one (src/cli/passphrase.ts), else none. */
  askPassphrase?: PassphrasePrompt | undefined;
  /** Default: asked on the terminal when stdin is one, for `--ask-sudo-pass`. */
  askSudoPassword?: SudoPasswordPrompt | undefined;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the process exit code; never throws. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const writeErr = options.stderr ?? ((text: string) => process.stderr.write(text));
  let exitCode: number = ExitCode.ok;
  let signals: InterruptHandler | undefined;
  let running = '';
  const program = buildProgram({
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    setExitCode: (code) => {
      exitCode = code;
    },
    stderr: writeErr,
    ...(options.stdout ? { stdout: options.stdout } : {}),
    askPassphrase: 'askPassphrase' in options ? options.askPassphrase : terminalPassphrasePrompt(),
    askSudoPassword: 'askSudoPassword' in options ? options.askSudoPassword : terminalSudoPasswordPrompt(),
    interruption: options.interruption ?? (signals ??= listenForInterrupts(writeErr, undefined, () => running)),
  });
  // Ctrl-C's notice names what the running command does (see interrupt.ts).
  program.hook('preAction', (_root, action) => {
    running = action.name();
  });
  program.exitOverride();
  program.configureOutput({ writeErr });
  for (const command of program.commands)
    applyRecursively(command, (c) => c.exitOverride().configureOutput({ writeErr }));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, writeErr);
  } finally {
    signals?.dispose();
  }
}

function applyRecursively(command: Command, apply: (c: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyRecursively(sub, apply);
}

function reportError(error: unknown, writeErr: (text: string) => void): number {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed its own message for usage errors.
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return ExitCode.ok;
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
