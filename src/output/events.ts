// One stream of typed events for multi-host runs (deploy, start/stop/restart); reporters turn it into a TTY view,
// plain lines for CI, or newline-delimited JSON.

export type HostEndStatus = 'ok' | 'failed' | 'unreachable' | 'skipped';

export type RunEvent =
  | { type: 'batch'; index: number; total: number; hosts: string[] }
  /** `staged`: this step ends the host's staging (a deploy stages every host before any switches). */
  | { type: 'step'; host: string; step: string; detail?: string | undefined; staged?: boolean | undefined }
  | { type: 'host'; host: string; status: HostEndStatus; durationMs: number; detail?: string | undefined }
  | { type: 'note'; text: string };

export interface Reporter {
  /**
   * Every host the run may touch, in batches, before anything starts (the TTY view lays them out); `staging`: the
   * run first stages every host (a deploy), which the TTY view shows as a group of its own.
   */
  begin(batches: readonly (readonly string[])[], options?: { staging?: boolean }): void;
  event(event: RunEvent): void;
  /** Flushes and stops drawing; the final table is printed after this. */
  end(): Promise<void>;
}

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
