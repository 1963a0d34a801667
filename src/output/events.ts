// One stream of typed events for multi-host runs (deploy, start/stop/restart); reporters turn it into a TTY view,
// plain lines for CI, or newline-delimited JSON.

export type HostEndStatus = 'ok' | 'failed' | 'unreachable' | 'skipped';

export type RunEvent =
  | { type: 'batch'; index: number; total: number; hosts: string[] }
  | { type: 'step'; host: string; step: string; detail?: string | undefined }
  | { type: 'host'; host: string; status: HostEndStatus; durationMs: number; detail?: string | undefined }
  | { type: 'note'; text: string };

export interface Reporter {
  /** Every host the run may touch, in batches, before anything starts (the TTY view lays them out). */
  begin(batches: readonly (readonly string[])[]): void;
  event(event: RunEvent): void;
  /** Flushes and stops drawing; the final table is printed after this. */
  end(): Promise<void>;
}

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
