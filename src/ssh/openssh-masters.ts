// The masters of one run's `transport = openssh` hosts: the private directory of their control sockets, which ssh
// config they read, and their end (with the run, also on failure and Ctrl-C; at once on a hard exit).
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError } from '../errors.ts';
import type { ConnectSettings, SshTarget } from './connect.ts';
import { describeTarget, timeoutsFor } from './connect.ts';
import type { HostConnection } from './connection.ts';
import { SshError } from './errors.ts';
import type { SshConfigChoice } from './openssh-args.ts';
import { configWrapper, controlName } from './openssh-args.ts';
import type { MasterLink } from './openssh.ts';
import { OpenSshConnection, persistentMaster, startMaster } from './openssh.ts';

export interface OpenSshOptions {
  /** `--persist`: masters outlive the run in this directory (0700, the user's own), until idle this long. */
  persist?: { dir: string; idleMs: number } | undefined;
}

/** Where `--persist` keeps OpenSSH masters: next to the persist process's socket, in the user's own ~/.convoy. */
export function persistMastersDir(homeDir: string): string {
  return path.join(homeDir, '.convoy', 'openssh');
}

export class OpenSshMasters {
  private dir: string | undefined;
  private config: SshConfigChoice = {};
  /** By control socket: a host opened again (a new login) waits for its old master to end first. */
  private readonly connections = new Map<string, OpenSshConnection>();
  private readonly onExit = () => this.killNow();

  constructor(
    private readonly settings: ConnectSettings,
    private readonly options: OpenSshOptions = {},
  ) {}

  /** The host's master, started (or, under --persist, found warm), as a connection; through `via`'s master if given. */
  async open(target: SshTarget, via?: HostConnection): Promise<OpenSshConnection> {
    if (via && !(via instanceof OpenSshConnection)) {
      throw new SshError(
        'jump',
        target.name,
        `${describeTarget(target)}: transport = openssh goes through a jump host's own OpenSSH master: set transport = openssh for jump host ${target.jump?.name ?? ''} too`,
      );
    }
    const dir = this.privateDir();
    const ctl = path.join(dir, controlName(target));
    const link: MasterLink = { target, ctl, config: this.config, env: this.env(), via: via?.proxyCommand() };
    const timeouts = timeoutsFor(target, this.settings);
    const previous = this.connections.get(link.ctl);
    if (previous) {
      previous.close();
      await previous.whenClosed();
    }
    const persist = this.options.persist;
    let connection: OpenSshConnection;
    if (persist) {
      await persistentMaster(link, this.settings, timeouts, persist.idleMs);
      connection = new OpenSshConnection(link);
    } else {
      connection = new OpenSshConnection(link, await startMaster(link, this.settings, timeouts));
    }
    this.connections.set(link.ctl, connection);
    return connection;
  }

  /** ssh-agent as the run was given it (SSH_AUTH_SOCK); the rest of the environment as Convoy's. */
  private env(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    if (this.settings.agentSocket) env.SSH_AUTH_SOCK = this.settings.agentSocket;
    else delete env.SSH_AUTH_SOCK;
    return env;
  }

  /** The directory of the control sockets, made on first use: this run's own, or --persist's (checked). */
  private privateDir(): string {
    if (this.dir) return this.dir;
    const persist = this.options.persist;
    if (persist) {
      mkdirSync(persist.dir, { recursive: true, mode: 0o700 });
      const stat = lstatSync(persist.dir);
      if (!stat.isDirectory() || stat.uid !== process.getuid?.())
        throw new EnvironmentError(
          `${persist.dir} is not a directory of this user's: refusing to keep SSH masters there`,
        );
      chmodSync(persist.dir, 0o700);
      this.dir = persist.dir;
    } else {
      // mkdtemp makes it 0700. A short base: the socket path must stay under ~104 bytes.
      const base = os.tmpdir().length <= 60 ? os.tmpdir() : '/tmp';
      this.dir = mkdtempSync(path.join(base, 'convoy-ctl-'));
      process.once('exit', this.onExit);
    }
    this.config = configChoice(this.settings.homeDir ?? os.homedir(), this.dir);
    return this.dir;
  }

  /** Ends this run's masters and removes their directory; --persist's masters stay for the next run. */
  async closeAll(): Promise<void> {
    if (!this.options.persist) {
      for (const connection of this.connections.values()) connection.close();
      await Promise.all([...this.connections.values()].map((c) => c.whenClosed()));
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      process.removeListener('exit', this.onExit);
      this.dir = undefined;
    }
    this.connections.clear();
  }

  /** The process is exiting now (a second Ctrl-C): masters signalled, the directory removed, nothing awaited. */
  private killNow(): void {
    for (const connection of this.connections.values()) connection.killNow();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * OpenSSH reads ~/.ssh/config from the account's home in /etc/passwd, Convoy from $HOME: when they differ, the
 * masters read Convoy's file (and the system file after it) through a -F wrapper, so both see the same settings.
 */
function configChoice(homeDir: string, dir: string): SshConfigChoice {
  if (path.resolve(homeDir) === path.resolve(os.userInfo().homedir)) return {};
  const file = path.join(dir, 'config');
  writeFileSync(file, configWrapper(path.join(homeDir, '.ssh', 'config')), { mode: 0o600 });
  return { file };
}
