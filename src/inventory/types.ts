// The resolved inventory: what the SSH layer, the commands and `convoy hosts` read. Every value is final.
import type { SshConfigIo } from './ssh-config-eval.ts';
import type { NotifySettings } from './webhooks.ts';

// One host as Convoy connects to it, after [defaults], groups, [host:…] and ~/.ssh/config were applied.
export interface HostConfig {
  /** Inventory name (what targets and `{{host}}` use). */
  name: string;
  /** Inventory address > ssh_config HostName > name. */
  address: string;
  /** Default 22. */
  port: number;
  /** Inventory > ssh config > the default user (env USER or 'root'). */
  user: string;
  /** Absolute paths; the inventory identity first, then ssh config IdentityFile(s). */
  identityFiles: string[];
  /** The fully resolved host to ProxyJump through (recursively). */
  jump?: HostConfig;
  /** Use sudo for privileged steps; default false. */
  sudo: boolean;
  /** Path of supervisord.conf on the host, when not a standard location. */
  supervisorConf?: string;
  /** Absolute path of a known_hosts file to verify this host's key against. */
  knownHosts?: string;
  /** `connect_timeout`: the SSH handshake must finish within it (ms); absent = the command's default. */
  connectTimeoutMs?: number;
  /** `server_alive_interval` (ms, 0 = none) and `server_alive_count_max`: unanswered keepalives before the host is lost. */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** ssh config IdentitiesOnly: offer only identityFiles (agent keys too only when they are the same keys). */
  identitiesOnly?: boolean;
  /** ssh config IdentityAgent: a socket path (expanded), `none`, `SSH_AUTH_SOCK` or `$VAR`; absent = SSH_AUTH_SOCK. */
  identityAgent?: string;
  /** ssh config UserKnownHostsFile, expanded (`none` as written); `known_hosts` and `--known-hosts` win. */
  userKnownHostsFiles?: string[];
  /** ssh config HostKeyAlias: the name looked up in known_hosts instead of the address. */
  hostKeyAlias?: string;
  /** ssh config ProxyJump as written (the resolved chain is `jump`). */
  proxyJump?: string;
  /** ssh config ProxyCommand as written (`%h %p %r %n` expanded when connecting): its stdio is the connection. */
  proxyCommand?: string;
  /** The local address to connect from: --bind-address > the inventory's bind_address > ssh config BindAddress. */
  bindAddress?: string;
  /** ssh config CertificateFile(s), expanded: ssh2 cannot offer certificates, so connecting says so. */
  certificateFiles?: string[];
  /** `transport = openssh`: reached through the system ssh (one ControlMaster per host); absent = ssh2. */
  transport?: 'openssh';
  /** With transport = openssh: the name ~/.ssh/config was searched for, which OpenSSH is given as the destination. */
  sshName?: string;
  /** `step_timeout` (ms, 0 = none): how long one remote step may take; absent = the command's default. */
  stepTimeoutMs?: number;
  /** `fanout`: hosts it passes the artifact on to at once in a fan-out deploy (docs/deploy.md); absent = not set. */
  fanout?: number;
  /** `relay = no`: never sends to or receives from other hosts (always served by this machine); absent = yes. */
  relay?: boolean;
  vars: Record<string, string>;
  /** Every group the host is in, directly or through children, in file order. */
  groups: string[];
}

// A group as written: direct members only (ranges expanded); membership through children is in HostConfig.groups.
export interface GroupInfo {
  name: string;
  hosts: string[];
  children: string[];
  /** Line of the [group:NAME] header. */
  line: number;
}

// A loaded inventory file: hosts in the order they first appear in the file.
export interface Inventory {
  /** The inventory path as given (used in messages). */
  file: string;
  hosts: HostConfig[];
  groups: GroupInfo[];
  /** Webhooks called on deploy and rollback (`notify`, `notify_timeout` of [defaults]). */
  notify?: NotifySettings;
  /** `persist` of [defaults], in ms: runs keep connections open this long (as `--persist`); absent = off. */
  persistMs?: number;
}

// Side effects of loading are options so tests (and the sandbox) can point them anywhere.
export interface InventoryOptions {
  /** Default `<homeDir>/.ssh/config`; a missing file means no ssh config. */
  sshConfigFile?: string;
  /** What `~` means; default os.homedir(). */
  homeDir?: string;
  /** User when neither the inventory nor ssh config names one; default env USER, else 'root'. */
  defaultUser?: string;
  /** The local login (`Match localuser`, `%u`); default the process's user. */
  localUser?: string;
  /** Run `Match exec` commands (when connecting, as ssh does); default false: they do not match. */
  matchExec?: boolean;
  /** How long an executable inventory may run (src/inventory/program.ts); default 30 s. */
  programTimeoutMs?: number;
  /** `--bind-address` (an IP address, checked by the CLI): every host's local address, over the inventory's. */
  bindAddress?: string | undefined;
}

// parseInventory reads no file: the ssh config comes as text (none when absent).
export interface ParseOptions extends InventoryOptions {
  sshConfigText?: string;
  /** Read after the user's file, as ssh reads /etc/ssh/ssh_config; default none. */
  systemSshConfigFile?: string;
  /** Files for Include and the system config, and Match exec; default none (only sshConfigText is read). */
  sshConfigIo?: SshConfigIo;
}
