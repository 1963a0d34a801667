// The options every command shares (docs/command-line.md, "Global options").
export interface GlobalOptions {
  inventory: string;
  tasks: string;
  concurrency?: number;
  json: boolean;
  color: boolean;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  /** `--timeout`, in ms: wins over the inventory's connect_timeout and server_alive_* settings. */
  timeout?: number;
  /** `--step-timeout`, in ms (0 = none): how long one remote step may take; wins over the inventory's step_timeout. */
  stepTimeout?: number;
  /**
   * `--persist`, in ms: keep connections open this long after the last use, in a background process; false for
   * `--no-persist` (the inventory's `persist` is off for this run); the last of the two given wins.
   */
  persist?: number | false;
  /** `--bind-address`, an IP address: every connection leaves from it (wins over bind_address and BindAddress). */
  bindAddress?: string;
  /** `--ask-sudo-pass`: the CLI asks it once, hidden, and passes it in FleetContextOptions.sudoPassword. */
  askSudoPass?: boolean;
  /** `--sudo-pass-file`: its first line is the sudo password (the file must be the user's alone). */
  sudoPassFile?: string;
}
