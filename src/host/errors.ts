// Failures of a named step on one host, as values the reports can show.
import { ConvoyError } from '../errors.ts';

/** What a remote command gave back: failure is judged by `code`, never by stderr. */
export interface StepResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A named step that failed on a host; keeps the command's result, when there was one, for reports. */
export class RemoteStepError extends ConvoyError {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly result: StepResult | undefined,
    readonly detail: string,
  ) {
    super(`${host}: ${step} failed: ${detail}`);
  }
}

/** A remote step that took longer than the host's step timeout: abandoned, its command closed on the host. */
export class StepTimeoutError extends RemoteStepError {
  constructor(host: string, step: string, limit: string) {
    super(host, step, undefined, `timed out after ${limit} (step_timeout in the inventory, or --step-timeout)`);
  }
}

/** A privileged step on a host whose login is not root and whose inventory does not allow sudo. */
export class NeedsRootError extends RemoteStepError {
  constructor(host: string, step: string) {
    super(host, step, undefined, `needs root: log in as root or set sudo = true for ${host} in the inventory`);
  }
}

/** The last lines a failed command said (stderr, else stdout), or how it ended. */
export function failureDetail(result: StepResult): string {
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
  return said || (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
}
