// The sandbox fleet as data: which hosts, where their files live, and the exact text of every file written.
import path from 'node:path';
import { sandboxAddresses } from './addresses.ts';

/**
 * How a host's Supervisor is laid out (docs/command-line.md, "convoy sandbox"): `debian` as Debian's and Ubuntu's package leaves it;
 * `rhel` as EPEL's package on RHEL, Rocky, Alma and Fedora leaves it (/etc/supervisord.conf, `supervisord.d/*.ini`,
 * socket /run/supervisor/supervisor.sock with supervisord's default mode 0700, no `supervisor` group);
 * `pip` as `pip install supervisor` leaves it (the conf from `echo_supervisord_conf` at /etc/supervisord.conf, its
 * [include] commented out, socket /tmp/supervisor.sock mode 0700, no init unit: supervisord started by hand);
 * `user`: supervisord run by the login itself from its home (no root, no sudo; the login owns /srv and /opt).
 */
export type SandboxFlavor = 'debian' | 'rhel' | 'pip' | 'user';
export const sandboxFlavors: readonly SandboxFlavor[] = ['debian', 'rhel', 'pip', 'user'];

/** The `user` flavor's supervisord: run by the login `convoy` from its home, no root and no sudo anywhere. */
export const userSupervisorDir = '/home/convoy/supervisor';

/** Where a flavor keeps supervisord's conf and socket. */
export const flavorLayout: Record<SandboxFlavor, { conf: string; socket: string }> = {
  debian: { conf: '/etc/supervisor/supervisord.conf', socket: '/run/supervisor.sock' },
  rhel: { conf: '/etc/supervisord.conf', socket: '/run/supervisor/supervisor.sock' },
  pip: { conf: '/etc/supervisord.conf', socket: '/tmp/supervisor.sock' },
  user: { conf: `${userSupervisorDir}/supervisord.conf`, socket: `${userSupervisorDir}/supervisor.sock` },
};

/** Login shells a sandbox host may give `root` and `convoy` (Convoy's own steps must not depend on bash). */
export const sandboxShells = { bash: '/bin/bash', fish: '/usr/bin/fish', tcsh: '/usr/bin/tcsh' } as const;
export type SandboxShell = keyof typeof sandboxShells;

/**
 * How sudo treats the login `convoy` on a host (docs/command-line.md, "convoy sandbox"): `nopasswd` (the default), `password` (sudo asks
 * for the login's password, as on a default RHEL or Ubuntu install), and either with sudoers' `requiretty` (sudo
 * refuses to run without a terminal, as RHEL 5–6 and some hardened images set it).
 */
export type SandboxSudo = 'nopasswd' | 'password' | 'nopasswd-tty' | 'password-tty';
export const sandboxSudoModes: readonly SandboxSudo[] = ['nopasswd', 'password', 'nopasswd-tty', 'password-tty'];

export interface SandboxOptions {
  hosts: number;
  bare: boolean;
  /** Login shells of root and convoy, assigned to hosts in turn; default bash. */
  shells?: readonly SandboxShell[] | undefined;
  /** Assigned to hosts in turn (host 1 the first, …); default `debian`. */
  flavors?: readonly SandboxFlavor[] | undefined;
  /** supervisord.conf readable by its owner only (0600), as hardening guides and some images leave it. */
  privateConf?: boolean | undefined;
  /** `username`/`password` on the socket ([unix_http_server], and [supervisorctl] for supervisorctl): HTTP 401 without. */
  socketAuth?: boolean | undefined;
  /** How sudo treats `convoy`, assigned to hosts in turn; default `nopasswd`. */
  sudo?: readonly SandboxSudo[] | undefined;
  /** Absolute path of the directory that holds every file of this fleet. */
  stateDir: string;
  port: number;
  firstAddress: string;
  /** Absolute path of the inventory file to write. */
  inventoryFile: string;
  /** `--ssh-ca`: CA-signed host keys and user certificates only (src/sandbox/ssh-ca.ts). */
  sshCa?: boolean | undefined;
}

export interface SandboxHost {
  index: number;
  name: string;
  address: string;
  port: number;
  /** This host's own directory under the state dir. */
  dir: string;
  flavor: SandboxFlavor;
  shell: SandboxShell;
  sudo: SandboxSudo;
}

export interface SandboxPlan {
  options: SandboxOptions;
  hosts: SandboxHost[];
  clientKeyFile: string;
  knownHostsFile: string;
  stateFile: string;
  initScript: string;
  /** The login's password on hosts whose sudo asks for one (0600, one line): what `--sudo-pass-file` reads. */
  sudoPasswordFile: string;
}

/** Directories (relative to a host's dir) bind-mounted over the same path inside the host. */
export const privateDirs = {
  'etc-supervisor': '/etc/supervisor',
  'log-supervisor': '/var/log/supervisor',
  srv: '/srv',
  opt: '/opt',
  root: '/root',
  home: '/home',
  tmp: '/tmp',
} as const;

export const socketPath = '/run/supervisor.sock';
export const defaultFirstAddress = '127.0.1.1';
export const hostNamePrefix = 'sandbox-';
export const inventoryMarker = '; Sandbox fleet written by `convoy sandbox up`';

export function flavorOf(options: Pick<SandboxOptions, 'flavors'>, index: number): SandboxFlavor {
  const flavors = options.flavors?.length ? options.flavors : sandboxFlavors.slice(0, 1);
  return flavors[index % flavors.length] ?? 'debian';
}

export function planSandbox(options: SandboxOptions): SandboxPlan {
  const addresses = sandboxAddresses(options.firstAddress, options.hosts);
  return {
    options,
    hosts: addresses.map((address, i) => ({
      index: i + 1,
      name: `${hostNamePrefix}${i + 1}`,
      address,
      port: options.port,
      dir: path.join(options.stateDir, 'hosts', String(i + 1)),
      flavor: flavorOf(options, i),
      shell: inTurn(options.shells, i) ?? 'bash',
      sudo: inTurn(options.sudo, i) ?? 'nopasswd',
    })),
    clientKeyFile: path.join(options.stateDir, 'id_ed25519'),
    knownHostsFile: path.join(options.stateDir, 'known_hosts'),
    stateFile: path.join(options.stateDir, 'state.json'),
    initScript: initScriptPath(options.stateDir),
    sudoPasswordFile: path.join(options.stateDir, 'sudo-password'),
  };
}

/** The list's entry for host `index` (0-based), the list assigned to hosts in turn. */
function inTurn<T>(list: readonly T[] | undefined, index: number): T | undefined {
  return list?.length ? list[index % list.length] : undefined;
}

/** Where a host whose sudo is not the default keeps sudo's log. */
export const sudoLogFile = '/run/sudo.log';

/** The host's sudoers rule for the login: with or without a password, and `requiretty` where the mode says. */
export function sudoersText(mode: SandboxSudo, login: string): string {
  const rule = mode.startsWith('password') ? `${login} ALL=(ALL:ALL) ALL\n` : `${login} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
  if (mode === 'nopasswd') return rule;
  // sudo's own log in the host's private /run: what it ran and every incorrect password attempt (no syslog here).
  const log = `Defaults:${login} logfile=${sudoLogFile}\n`;
  return mode.endsWith('-tty') ? `${log}Defaults:${login} requiretty\n${rule}` : `${log}${rule}`;
}

/** The argv that starts one host: new mount, UTS and PID namespaces; PID 1 runs the init script. */
/** The script each host's namespaces run; its path in a process's command line says the process is this dir's host. */
export function initScriptPath(stateDir: string): string {
  return path.join(stateDir, 'host-init.sh');
}

export function hostCommand(plan: SandboxPlan, host: SandboxHost, tools: SandboxTools): string[] {
  return [
    tools.unshare,
    '--mount',
    '--uts',
    '--pid',
    '--fork',
    '--mount-proc',
    '--propagation',
    'private',
    '--kill-child',
    '/bin/bash',
    plan.initScript,
    host.dir,
    host.name,
    plan.options.bare ? '1' : '0',
    tools.sshd,
    tools.supervisord,
    flavorLayout[host.flavor].conf,
    flavorLayout[host.flavor].socket,
    host.flavor === 'user' ? 'convoy' : 'root',
  ];
}

/** Absolute paths of the machine's programs that the hosts run. */
export interface SandboxTools {
  unshare: string;
  sshd: string;
  supervisord: string;
}

/** Where each host sees its own directory: bound early, so a state dir under /root, /home or /tmp stays reachable. */
export const hostMountPoint = '/run/convoy-sandbox';

/**
 * PID 1 of every sandbox host. /run becomes a fresh tmpfs holding the host's own directory; /etc becomes an overlay
 * (so `useradd`, `groupadd` and config edits stay private); the directories of `privateDirs` are bound over their
 * places; then supervisord is started and sshd replaces the script, so that killing PID 1 ends the whole host.
 */
export function hostInitScript(): string {
  const binds = Object.entries(privateDirs)
    .map(([dir, target]) => `mount --bind "$H/${dir}" ${target}`)
    .join('\n');
  return `#!/bin/bash
# PID 1 of one Convoy sandbox host (written by \`convoy sandbox up\`).
# Args: host dir, hostname, bare (1|0), sshd path, supervisord path, its conf, its socket, who runs it (the flavor).
set -euo pipefail
OUTSIDE=$1 NAME=$2 BARE=$3 SSHD=$4 SUPERVISORD=$5 CONF=$6 SOCKET=$7 RUNAS=$8
H=${hostMountPoint}
echo "$NAME" > /proc/sys/kernel/hostname
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mkdir -p "$H" /run/sshd /run/lock /run/supervisor
mount --bind "$OUTSIDE" "$H"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$H/etc-upper,workdir=$H/etc-work" /etc
mkdir -p /etc/supervisor /var/log/supervisor
${binds}
if [ "$BARE" != 1 ]; then
  if [ "$RUNAS" = root ]; then "$SUPERVISORD" -c "$CONF"; else runuser -u "$RUNAS" -- "$SUPERVISORD" -c "$CONF"; fi
  for _ in $(seq 500); do [ -S "$SOCKET" ] && break; sleep 0.02; done
  [ -S "$SOCKET" ] || { echo "supervisord did not create $SOCKET" >&2; exit 1; }
fi
exec "$SSHD" -D -f "$H/sshd_config" -E "$H/sshd.log"
`;
}

export function sshdConfig(host: SandboxHost): string {
  return `# sshd of sandbox host ${host.name} (written by \`convoy sandbox up\`)
ListenAddress ${host.address}:${host.port}
HostKey ${hostMountPoint}/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
`;
}

/** The host pattern OpenSSH uses in known_hosts: bare address on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function knownHostsText(hosts: readonly SandboxHost[], publicKeys: readonly string[]): string {
  return hosts.map((h, i) => `${knownHostsName(h.address, h.port)} ${publicKeys[i] ?? ''}\n`).join('');
}

export function etcHostsText(host: SandboxHost): string {
  return `127.0.0.1\tlocalhost\n${host.address}\t${host.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}

/**
 * What a host needs in the inventory: the `user` flavor logs in as its supervisord's owner; a host whose sudo is not
 * the default logs in as `convoy` with `sudo = true`, so that Convoy's privileged steps meet that sudo.
 */
function hostSettings(host: SandboxHost): string {
  if (host.flavor === 'user')
    return `user = convoy\nsupervisor_conf = ${flavorLayout.user.conf}   ; supervisord runs as convoy, no sudo\n`;
  if (host.sudo === 'nopasswd') return '';
  return `user = convoy\nsudo = true   ; sudo: ${host.sudo}\n`;
}

export function inventoryText(plan: SandboxPlan): string {
  const { options, hosts } = plan;
  const last = hosts.length;
  return `${inventoryMarker}; \`convoy sandbox down\` removes it.
; State directory: ${options.stateDir}
; Every host also has the non-root login \`convoy\` (same key${options.bare ? '' : ', member of group supervisor'}, passwordless sudo).

[defaults]
user = root
port = ${options.port}
identity = ${plan.clientKeyFile}
known_hosts = ${plan.knownHostsFile}
${options.sshCa ? `transport = openssh   ; --ssh-ca: certificates only (include ${options.stateDir}/ssh_config from ~/.ssh/config)\n` : ''}
${hosts.map((h) => `[host:${h.name}]\naddress = ${h.address}\n${hostSettings(h)}`).join('\n')}
[group:sandbox]
hosts = ${hostNamePrefix}[1:${last}]
`;
}
