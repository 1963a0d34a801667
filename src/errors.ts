// Typed errors: everything below the CLI throws these; src/cli/main.ts maps them to a message and an exit code.

/** Exit codes of the `convoy` binary, as docs/command-line.md ("Exit codes") fixes them. */
export const ExitCode = {
  ok: 0,
  hostFailed: 1,
  badInput: 2,
  notRunning: 3,
  unreachable: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class ConvoyError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.hostFailed;
  }
}

/** Bad input (flags, inventory, task files): nothing was touched. */
export class UsageError extends ConvoyError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.badInput });
  }
}

/** The local machine lacks something a command needs (root, a binary, a free address); nothing was started. */
export class EnvironmentError extends UsageError {}

/** Several input problems found at once; printed as one list. */
export class ValidationError extends UsageError {
  readonly problems: readonly string[];
  constructor(summary: string, problems: readonly string[]) {
    super([summary, ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.problems = problems;
  }
}
