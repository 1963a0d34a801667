// How a command learns that the user asked it to stop: Ctrl-C, or SIGTERM/SIGHUP (see src/cli/interrupt.ts for the
// policy).
export interface Interruption {
  /** Resolves on the first stop signal. */
  promise: Promise<void>;
  /** True once a stop was asked for. */
  requested(): boolean;
  /** The exit code of a run stopped this way: 130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP. */
  exitCode(): number;
}

/** For callers (tests, the API) that never interrupt. */
export const neverInterrupted: Interruption = {
  promise: new Promise<void>(() => {}),
  requested: () => false,
  exitCode: () => 130,
};

/** The exit code a stop asked for, or undefined when none was. */
export function interruptedWith(interruption: Interruption | undefined): number | undefined {
  return interruption?.requested() ? interruption.exitCode() : undefined;
}
