// `convoy setup` on one host: install, configure the socket group, start supervisord the host's way, verify
// (docs/command-line.md, "setup"; what it writes: docs/remote-layout.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { getIniValue } from '../supervisor/conf-edit.ts';
import { compactUtc } from '../units/time.ts';
import { shellQuote } from '../shell/quote.ts';
import type { SupervisorLayout } from '../supervisor/layout.ts';
import { findConfCommand, parseFindConfOutput, parseLayout } from '../supervisor/layout.ts';
import type { SetupProbe } from '../supervisor/setup-plan.ts';
import {
  addToGroupCommand,
  createGroupCommand,
  defaultConf,
  desiredConf,
  includeWhenNone,
  installCommand,
  parseProbe,
  probeCommand,
  serviceManager,
  socketGroup,
  startCommand,
  writeFileCommand,
} from '../supervisor/setup-plan.ts';
import type { TransportKind } from '../supervisor/transport.ts';
import { RemoteStepError } from './errors.ts';
import type { HostSession } from './session.ts';

export interface SetupResult {
  changes: string[];
  confPath: string;
  socketPath: string;
  transport: TransportKind;
  supervisorVersion: string;
}

const startTimeoutMs = 15_000;

/** The conf as setup leaves it, and whether the socket settings in it changed (the live socket then follows). */
interface ConfOutcome {
  path: string;
  layout: SupervisorLayout;
  socketSettingsChanged: boolean;
}

export async function setupHost(session: HostSession, now = new Date()): Promise<SetupResult> {
  const changes: string[] = [];
  const probe = await installIfMissing(session, changes);
  const conf = await configure(session, probe, changes, backupSuffixAt(now));
  const mustJoin = await prepareAccounts(session, probe, conf.layout, changes);
  await ensureRunning(session, probe, conf, changes);
  // A new login picks up the new group; the check is done the way every later command will connect.
  if (mustJoin) await session.relog();
  const client = await session.openSupervisorAt(conf.layout);
  const version = String(await client.call('supervisor.getSupervisorVersion'));
  return {
    changes,
    confPath: conf.path,
    socketPath: conf.layout.socketPath,
    transport: client.transportKind,
    supervisorVersion: version,
  };
}

function backupSuffixAt(now: Date): string {
  // Without the Z: backups taken before kept this name (docs/remote-layout.md).
  return `.convoy-backup-${compactUtc(now).slice(0, -1)}`;
}

async function readProbe(session: HostSession): Promise<SetupProbe> {
  const { supervisorConf } = session.host;
  const probe = parseProbe((await session.script('probe', probeCommand(supervisorConf, session.inlineSudo))).stdout);
  if (probe.unreadableConf === null || !session.escalatesWithSudo) return probe;
  // sudo wants a password or a terminal, which a login script cannot give it: the conf is read as root on its own.
  const found = parseFindConfOutput(await session.runAsRoot('read supervisord.conf', findConfCommand(supervisorConf)));
  return found ? { ...probe, confPath: found.confPath, confText: found.text, unreadableConf: null } : probe;
}

async function installIfMissing(session: HostSession, changes: string[]): Promise<SetupProbe> {
  const probe = await readProbe(session);
  if (probe.supervisord) return probe;
  if (!probe.packageManager) {
    throw new RemoteStepError(
      session.name,
      'install',
      undefined,
      'supervisord is not installed and the host has no apt-get, dnf or yum: install Supervisor, then run setup again',
    );
  }
  await session.runAsRoot(`install supervisor (${probe.packageManager})`, installCommand(probe.packageManager));
  changes.push(`installed supervisor (${probe.packageManager})`);
  return readProbe(session);
}

/** Writes a conf where there is none, or sets the socket's group and mode in the existing one (with a backup). */
async function configure(
  session: HostSession,
  probe: SetupProbe,
  changes: string[],
  backupSuffix: string,
): Promise<ConfOutcome> {
  let path = probe.confPath;
  let text = probe.confText;
  let socketSettingsChanged = false;
  if ((path === null || text === null) && probe.unreadableConf !== null) {
    const said = `${probe.unreadableConf} exists but ${session.host.user} cannot read it and may not use sudo here: set sudo = true for this host (or run setup as root); nothing was written`;
    throw new RemoteStepError(session.name, 'read supervisord.conf', undefined, said);
  }
  if (path === null || text === null) {
    const fresh = defaultConf(probe.packageManager);
    path = session.host.supervisorConf ?? fresh.path;
    text = desiredConf(fresh.text) ?? fresh.text;
    await session.runAsRoot(`write ${path}`, writeFileCommand(path, null), { stdin: text });
    changes.push(`wrote ${path} (socket chmod=0770, chown=root:${socketGroup})`);
  } else {
    const wanted = desiredConf(text);
    if (wanted !== undefined) {
      await session.runAsRoot(`edit ${path}`, writeFileCommand(path, backupSuffix), { stdin: wanted });
      const addsInclude = !(getIniValue(text, 'include', 'files') ?? '').trim();
      const include = addsInclude ? `, [include] files=${includeWhenNone.values.files}` : '';
      changes.push(`set chmod=0770, chown=root:${socketGroup}${include} in ${path} (backup ${path}${backupSuffix})`);
      text = wanted;
      socketSettingsChanged = true;
    }
  }
  const parsed = parseLayout(path, text);
  if (!parsed.ok) throw new RemoteStepError(session.name, 'read supervisord.conf', undefined, parsed.problem);
  return { path, layout: parsed.layout, socketSettingsChanged };
}

/** The include directory, the socket group, and the login in it; true when the login had to join. */
async function prepareAccounts(
  session: HostSession,
  probe: SetupProbe,
  layout: SupervisorLayout,
  changes: string[],
): Promise<boolean> {
  const dir = shellQuote(layout.includeDir);
  const created = await session.runAsRoot(
    `create ${layout.includeDir}`,
    `if [ ! -d ${dir} ]; then mkdir -p ${dir} && echo created; fi`,
  );
  if (created.includes('created')) changes.push(`created ${layout.includeDir}`);
  if (!probe.groupExists) {
    await session.runAsRoot(`create group ${socketGroup}`, createGroupCommand());
    changes.push(`created group ${socketGroup}`);
  }
  const user = session.host.user;
  const mustJoin = user !== 'root' && !probe.userGroups.includes(socketGroup);
  if (mustJoin) {
    await session.runAsRoot(`add ${user} to group ${socketGroup}`, addToGroupCommand(user));
    changes.push(`added ${user} to group ${socketGroup}`);
  }
  return mustJoin;
}

/**
 * Probes the socket as root (never starts a second supervisord to find out: it would delete the running one's logs),
 * applies changed socket settings to the live socket, or starts supervisord the way the host runs services.
 */
async function ensureRunning(
  session: HostSession,
  probe: SetupProbe,
  conf: ConfOutcome,
  changes: string[],
): Promise<void> {
  const { layout } = conf;
  const answers = () => session.supervisorAnswersAsRoot(layout, conf.path);
  if (await answers()) {
    if (!conf.socketSettingsChanged) return;
    const socket = shellQuote(layout.socketPath);
    await session.runAsRoot('apply socket permissions', `chmod 0770 ${socket} && chown root:${socketGroup} ${socket}`);
    changes.push(`applied them to the live socket ${layout.socketPath} (no restart: programs keep running)`);
    return;
  }
  const manager = serviceManager(probe);
  await session.runAsRoot(`start supervisord (${manager})`, startCommand(probe, conf.path));
  const deadline = Date.now() + startTimeoutMs;
  while (!(await answers())) {
    if (Date.now() > deadline) {
      throw new RemoteStepError(
        session.name,
        'start supervisord',
        undefined,
        `its socket ${layout.socketPath} did not answer within ${startTimeoutMs / 1000}s (see /var/log/supervisor/supervisord.log)`,
      );
    }
    await sleep(200);
  }
  const how =
    manager === 'systemd' ? 'systemctl enable --now' : manager === 'init-script' ? probe.initScript : 'supervisord -c';
  // Started by hand, nothing starts it again after a reboot: say so, rather than let a reboot be the surprise.
  const boot = manager === 'direct' ? '; not started at boot: this host has no init system Convoy knows, add one' : '';
  changes.push(`started supervisord (${how})${boot}`);
}
