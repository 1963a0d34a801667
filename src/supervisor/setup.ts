// `convoy setup` on one host: install, configure the socket group, start supervisord the host's way, verify.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionPool } from '../ssh/pool.ts';
import type { SshTarget } from '../ssh/connect.ts';
import { HostShell, RemoteStepError } from '../ssh/host-shell.ts';
import { shellQuote } from '../ssh/quote.ts';
import { SupervisorClient } from './client.ts';
import { parseLayout } from './layout.ts';
import type { SupervisorHost } from './open.ts';
import { openSupervisor } from './open.ts';
import {
  addToGroupCommand,
  createGroupCommand,
  defaultConf,
  desiredConf,
  installCommand,
  parseProbe,
  probeCommand,
  serviceManager,
  socketGroup,
  startCommand,
  writeFileCommand,
} from './setup-plan.ts';
import type { TransportKind } from './transport.ts';
import { execTransport } from './transport.ts';

export interface SetupResult {
  changes: string[];
  confPath: string;
  socketPath: string;
  transport: TransportKind;
  supervisorVersion: string;
}

const startTimeoutMs = 15_000;

export async function setupHost(
  pool: ConnectionPool,
  host: SshTarget & SupervisorHost,
  now = new Date(),
): Promise<SetupResult> {
  let connection = await pool.get(host);
  const isRoot = host.user === 'root';
  const changes: string[] = [];
  const shell = new HostShell(connection, host);
  const privileged = (step: string, command: string, stdin?: string) =>
    shell.runAsRoot(step, command, stdin === undefined ? {} : { stdin });

  let probe = parseProbe((await connection.exec(probeCommand(host.supervisorConf))).stdout);
  if (!probe.supervisord) {
    if (!probe.packageManager)
      throw new RemoteStepError(
        host.name,
        'install',
        undefined,
        'supervisord is not installed and the host has no apt-get, dnf or yum: install Supervisor, then run setup again',
      );
    await privileged(`install supervisor (${probe.packageManager})`, installCommand(probe.packageManager));
    changes.push(`installed supervisor (${probe.packageManager})`);
    probe = parseProbe((await connection.exec(probeCommand(host.supervisorConf))).stdout);
  }

  const backupSuffix = `.convoy-backup-${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  let confPath = probe.confPath;
  let confText = probe.confText;
  let socketSettingsChanged = false;
  if (confPath === null || confText === null) {
    const fresh = defaultConf(probe.packageManager);
    confPath = host.supervisorConf ?? fresh.path;
    confText = desiredConf(fresh.text) ?? fresh.text;
    await privileged(`write ${confPath}`, writeFileCommand(confPath, null), confText);
    changes.push(`wrote ${confPath} (socket chmod=0770, chown=root:${socketGroup})`);
  } else {
    const wanted = desiredConf(confText);
    if (wanted !== undefined) {
      await privileged(`edit ${confPath}`, writeFileCommand(confPath, backupSuffix), wanted);
      changes.push(`set chmod=0770, chown=root:${socketGroup} in ${confPath} (backup ${confPath}${backupSuffix})`);
      confText = wanted;
      socketSettingsChanged = true;
    }
  }
  const parsed = parseLayout(confPath, confText);
  if (!parsed.ok) throw new RemoteStepError(host.name, 'read supervisord.conf', undefined, parsed.problem);
  const layout = parsed.layout;

  const dir = shellQuote(layout.includeDir);
  if (
    (
      await privileged(`create ${layout.includeDir}`, `if [ ! -d ${dir} ]; then mkdir -p ${dir} && echo created; fi`)
    ).includes('created')
  ) {
    changes.push(`created ${layout.includeDir}`);
  }
  if (!probe.groupExists) {
    await privileged(`create group ${socketGroup}`, createGroupCommand());
    changes.push(`created group ${socketGroup}`);
  }
  const mustJoin = !isRoot && !probe.userGroups.includes(socketGroup);
  if (mustJoin) {
    await privileged(`add ${host.user} to group ${socketGroup}`, addToGroupCommand(host.user));
    changes.push(`added ${host.user} to group ${socketGroup}`);
  }

  // Probe the socket as root (never start a second supervisord to find out: it would delete the running one's logs).
  const asRoot = () => new SupervisorClient(host.name, execTransport(connection, layout.socketPath, !isRoot), layout);
  const running = await answers(asRoot());
  if (running && socketSettingsChanged) {
    const socket = shellQuote(layout.socketPath);
    await privileged('apply socket permissions', `chmod 0770 ${socket} && chown root:${socketGroup} ${socket}`);
    changes.push(`applied them to the live socket ${layout.socketPath} (no restart: programs keep running)`);
  }
  if (!running) {
    const manager = serviceManager(probe);
    await privileged(`start supervisord (${manager})`, startCommand(probe, confPath));
    const deadline = Date.now() + startTimeoutMs;
    while (!(await answers(asRoot()))) {
      if (Date.now() > deadline)
        throw new RemoteStepError(
          host.name,
          'start supervisord',
          undefined,
          `its socket ${layout.socketPath} did not answer within ${startTimeoutMs / 1000}s (see /var/log/supervisor/supervisord.log)`,
        );
      await sleep(200);
    }
    changes.push(
      `started supervisord (${manager === 'systemd' ? 'systemctl enable --now' : manager === 'init-script' ? probe.initScript : 'supervisord -c'})`,
    );
  }

  // A new login picks up the new group; the check is done the way every later command will connect.
  if (mustJoin) connection = await pool.reconnect(host);
  const client = await openSupervisor(connection, host, layout);
  const version = String(await client.call('supervisor.getSupervisorVersion'));
  return {
    changes,
    confPath,
    socketPath: layout.socketPath,
    transport: client.transportKind,
    supervisorVersion: version,
  };
}

async function answers(client: SupervisorClient): Promise<boolean> {
  try {
    await client.getState();
    return true;
  } catch {
    return false;
  }
}
