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
import type { RetryPlan } from '../commands/run-journal.ts';
import { RunJournal } from '../commands/run-journal.ts';

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
  /** `convoy retry` running a recorded command line again: its hosts and what the first run fixed. */
  retry?: RetryPlan | undefined;
  /** Told the command's name as it starts (a retry's Ctrl-C notice names the command it runs again). */
  announce?: (command: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the process exit code; never throws. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const writeErr = options.stderr ?? ((text: string) => process.stderr.write(text));
  let exitCode: number = ExitCode.ok;
  let signals: InterruptHandler | undefined;
  let running = '';
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  // Written only once a multi-host command knows its hosts; ended here, whatever the command's end.
  const journal = new RunJournal({
    projectDir: cwd,
    argv,
    env,
    retryOf: options.retry?.of,
    warn: (t) => writeErr(`${t}\n`),
  });
  const interruption = options.interruption ?? (signals ??= listenForInterrupts(writeErr, undefined, () => running));
  const program = buildProgram({
    cwd,
    env,
    setExitCode: (code) => {
      exitCode = code;
    },
    stderr: writeErr,
    ...(options.stdout ? { stdout: options.stdout } : {}),
    askPassphrase: 'askPassphrase' in options ? options.askPassphrase : terminalPassphrasePrompt(),
    askSudoPassword: 'askSudoPassword' in options ? options.askSudoPassword : terminalSudoPasswordPrompt(),
    interruption,
    journal,
    retry: options.retry,
    rerun: (again, retry) => run(again, { ...options, interruption, retry, announce: (name) => (running = name) }),
  });
  // Ctrl-C's notice names what the running command does (see interrupt.ts).
  program.hook('preAction', (_root, action) => {
    running = action.name();
    options.announce?.(running);
  });
  program.exitOverride();
  program.configureOutput({ writeErr });
  for (const command of program.commands)
    applyRecursively(command, (c) => c.exitOverride().configureOutput({ writeErr }));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    journal.end(exitCode);
    return exitCode;
  } catch (error) {
    const code = reportError(error, writeErr);
    journal.end(code);
    return code;
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
