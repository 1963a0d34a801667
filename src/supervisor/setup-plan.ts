// `convoy setup` decisions as pure functions of what the probe saw: what to install, write, create and start.
import { shellQuote } from '../shell/quote.ts';
import { getIniValue, setIniValues } from './conf-edit.ts';
import { debianSupervisordConf, socketGroupEdit } from './distro-conf.ts';
import { findConfCommand, parseFindConfOutput } from './layout.ts';

export const socketGroup = 'supervisor';

export type PackageManager = 'apt-get' | 'dnf' | 'yum';
export type ServiceManager = 'systemd' | 'init-script' | 'direct';

export interface SetupProbe {
  supervisord: string | null;
  packageManager: PackageManager | null;
  systemd: boolean;
  initScript: string | null;
  user: string;
  userGroups: string[];
  groupExists: boolean;
  confPath: string | null;
  confText: string | null;
  /** A conf that exists but that neither the login nor sudo could read: setup must not write one over it. */
  unreadableConf: string | null;
}

/** One read-only round trip that tells everything setup needs to decide. */
export function probeCommand(explicitConf?: string, sudoAllowed = false): string {
  return [
    'echo "supervisord=$(command -v supervisord || true)"',
    'for pm in apt-get dnf yum; do if command -v $pm >/dev/null 2>&1; then echo "pm=$pm"; break; fi; done',
    'if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then echo systemd=1; fi',
    'for s in /etc/init.d/supervisor /etc/init.d/supervisord; do if [ -x "$s" ]; then echo "initscript=$s"; break; fi; done',
    'echo "user=$(id -un)"',
    'echo "groups=$(id -nG)"',
    `if getent group ${socketGroup} >/dev/null 2>&1 || grep -q '^${socketGroup}:' /etc/group; then echo group=1; fi`,
    findConfCommand(explicitConf, sudoAllowed, true),
  ].join('\n');
}

export function parseProbe(stdout: string): SetupProbe {
  const marker = /^---CONVOY-CONF /m.exec(stdout)?.index ?? -1;
  const head = marker < 0 ? stdout : stdout.slice(0, marker);
  const values = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const found = parseFindConfOutput(stdout);
  const confPath = found?.confPath ?? null;
  const confText = found?.text ?? null;
  const pm = values.get('pm');
  return {
    supervisord: values.get('supervisord') || null,
    packageManager: pm === 'apt-get' || pm === 'dnf' || pm === 'yum' ? pm : null,
    systemd: values.get('systemd') === '1',
    initScript: values.get('initscript') || null,
    user: values.get('user') ?? '',
    userGroups: (values.get('groups') ?? '').split(/\s+/).filter(Boolean),
    groupExists: values.get('group') === '1',
    confPath,
    confText,
    unreadableConf: values.get('unreadable') || null,
  };
}

export function installCommand(pm: PackageManager): string {
  if (pm === 'apt-get')
    return 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q supervisor || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q supervisor; }';
  return `${pm} install -y supervisor`;
}

/** EPEL's layout, as its package leaves it: /etc/supervisord.conf, socket in /run/supervisor/, `supervisord.d/*.ini`. */
export function rhelSupervisordConf(): string {
  return debianSupervisordConf
    .replaceAll('/var/run/supervisor.sock', '/run/supervisor/supervisor.sock')
    .replace('files = /etc/supervisor/conf.d/*.conf', 'files = supervisord.d/*.ini');
}

/** The RHEL/EPEL layout for hosts installed with dnf/yum; Debian's elsewhere. */
export function defaultConf(pm: PackageManager | null): { path: string; text: string } {
  if (pm === 'dnf' || pm === 'yum') return { path: '/etc/supervisord.conf', text: rhelSupervisordConf() };
  return { path: '/etc/supervisor/supervisord.conf', text: debianSupervisordConf };
}

/**
 * Where app confs go when a conf has no `[include] files=` (pip's `echo_supervisord_conf` comments it out): a directory
 * beside the conf, as RHEL's package has it (`/etc/supervisord.d` for `/etc/supervisord.conf`).
 */
export const includeWhenNone = { section: 'include', values: { files: 'supervisord.d/*.conf' } } as const;

/**
 * The conf as it must be: socket chmod 0770 and chown root:supervisor, and an `[include]` where there is none;
 * undefined when it already is.
 */
export function desiredConf(current: string): string | undefined {
  const hasInclude = (getIniValue(current, 'include', 'files') ?? '').trim() !== '';
  const wanted = setIniValues(current, [socketGroupEdit(socketGroup), ...(hasInclude ? [] : [includeWhenNone])]);
  return wanted === current ? undefined : wanted;
}

/** How this host starts services: systemd when it is PID 1, else the init script, else supervisord itself. */
export function serviceManager(probe: SetupProbe): ServiceManager {
  if (probe.systemd) return 'systemd';
  if (probe.initScript) return 'init-script';
  return 'direct';
}

/** Where setup writes a unit for a supervisord that came without one (pip). */
export const systemdUnitPath = '/etc/systemd/system/supervisord.service';

/** The unit Debian's package ships, less what is Debian's: supervisord in the foreground, its children kept on stop. */
export function systemdUnit(supervisord: string, confPath: string): string {
  return [
    '[Unit]',
    'Description=Supervisor process control system (unit written by convoy setup)',
    'After=network.target',
    '',
    '[Service]',
    `ExecStart=${supervisord} -n -c ${confPath}`,
    'KillMode=process',
    'Restart=on-failure',
    'RestartSec=50s',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}

export function startCommand(probe: SetupProbe, confPath: string): string {
  const manager = serviceManager(probe);
  if (manager === 'systemd') {
    return [
      'if systemctl cat supervisor.service >/dev/null 2>&1; then systemctl enable --now supervisor.service',
      'elif systemctl cat supervisord.service >/dev/null 2>&1; then systemctl enable --now supervisord.service',
      // pip's Supervisor ships no unit: write one, so that supervisord also starts at boot.
      `else cat > ${systemdUnitPath} <<'CONVOY-UNIT'`,
      systemdUnit(probe.supervisord ?? '/usr/bin/supervisord', confPath),
      'CONVOY-UNIT',
      `chmod 0644 ${systemdUnitPath} && systemctl daemon-reload && systemctl enable --now supervisord.service`,
      'fi',
    ].join('\n');
  }
  if (manager === 'init-script') return `${shellQuote(probe.initScript ?? '/etc/init.d/supervisor')} start`;
  return `${shellQuote(probe.supervisord ?? 'supervisord')} -c ${shellQuote(confPath)}`;
}

/** Adds `user` to the socket group with whichever tool the host has. */
export function addToGroupCommand(user: string): string {
  const u = shellQuote(user);
  return `usermod -a -G ${socketGroup} ${u} 2>/dev/null || gpasswd -a ${u} ${socketGroup} >/dev/null 2>&1 || adduser ${u} ${socketGroup}`;
}

export function createGroupCommand(): string {
  return `groupadd --system ${socketGroup} 2>/dev/null || addgroup --system ${socketGroup}`;
}

/** Writes `path` atomically from stdin, keeping a timestamped backup of the previous file when there was one. */
export function writeFileCommand(path: string, backupSuffix: string | null): string {
  const p = shellQuote(path);
  const backup = backupSuffix ? `if [ -f ${p} ]; then cp -p ${p} ${shellQuote(`${path}${backupSuffix}`)}; fi; ` : '';
  const tmp = shellQuote(`${path}.convoy-tmp`);
  return `set -e; mkdir -p "$(dirname ${p})"; ${backup}cat > ${tmp}; chmod 0644 ${tmp}; mv ${tmp} ${p}`;
}
