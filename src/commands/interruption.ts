// How a command learns that the user pressed Ctrl-C (see src/cli/interrupt.ts for the policy).
export interface Interruption {
  /** Resolves on the first Ctrl-C. */
  promise: Promise<void>;
  /** True once Ctrl-C was pressed. */
  requested(): boolean;
}

/** For callers (tests, the API) that never interrupt. */
export const neverInterrupted: Interruption = { promise: new Promise<void>(() => {}), requested: () => false };
