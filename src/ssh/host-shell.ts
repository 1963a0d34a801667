// Shell steps on one host with its privilege policy: as the login, or as root (directly, or through `sudo -n`).
import { ConvoyError } from '../errors.ts';
import type { CommandResult, ExecOptions, HostConnection } from './connection.ts';
import { withSudo } from './quote.ts';

/** A named step that exited non-zero on a host; keeps the result for reports. */
export class RemoteStepError extends ConvoyError {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly result: CommandResult | undefined,
    detail: string,
  ) {
    super(`${host}: ${step} failed: ${detail}`);
  }
}

export interface ShellHost {
  name: string;
  user: string;
  sudo: boolean;
}

export class HostShell {
  constructor(
    readonly connection: HostConnection,
    readonly host: ShellHost,
  ) {}

  get isRoot(): boolean {
    return this.host.user === 'root';
  }

  /** Runs as the login; resolves with stdout, throws RemoteStepError on a non-zero exit. */
  async run(step: string, command: string, options: ExecOptions = {}): Promise<string> {
    return checked(this.host.name, step, await this.connection.exec(command, options));
  }

  /** Runs as root: directly when the login is root, through `sudo -n` when the inventory allows it. */
  async runAsRoot(step: string, command: string, options: ExecOptions = {}): Promise<string> {
    if (!this.isRoot && !this.host.sudo) {
      throw new RemoteStepError(
        this.host.name,
        step,
        undefined,
        `needs root: log in as root or set sudo = true for ${this.host.name} in the inventory`,
      );
    }
    return checked(
      this.host.name,
      step,
      await this.connection.exec(this.isRoot ? command : withSudo(command), options),
    );
  }
}

function checked(host: string, step: string, result: CommandResult): string {
  if (result.code === 0) return result.stdout;
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
  throw new RemoteStepError(
    host,
    step,
    result,
    said || (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`),
  );
}
