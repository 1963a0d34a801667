// Writes every file of a planned fleet: client key, host keys, per-host /etc overlay, homes, sshd configs.
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EnvironmentError } from '../errors.ts';
import path from 'node:path';
import { generateEd25519 } from '../ssh/keys.ts';
import { debianSupervisordConf, socketGroupEdit } from '../supervisor/distro-conf.ts';
import { rhelSupervisordConf } from '../supervisor/setup-plan.ts';
import { setIniValues } from '../supervisor/conf-edit.ts';
import { sandboxAccounts, loginUser, socketGroup } from './accounts.ts';
import type { SandboxHost, SandboxPlan } from './plan.ts';
import {
  etcHostsText,
  hostInitScript,
  inventoryText,
  knownHostsText,
  privateDirs,
  sandboxShells,
  sshdConfig,
  sudoersText,
  userSupervisorDir,
} from './plan.ts';

import { writeSshCa } from './ssh-ca.ts';
import type { KeyPair } from '../ssh/keys.ts';

function readMachine(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function write(file: string, content: string, mode: number, owner?: { uid: number; gid: number }): void {
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  if (owner) chownSync(file, owner.uid, owner.gid);
}

/** Writes the fleet's files; returns nothing until every host's files are complete. */
export function writeFleetFiles(plan: SandboxPlan): void {
  const { stateDir, bare } = plan.options;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const client = generateEd25519('convoy-sandbox-client');
  write(plan.clientKeyFile, client.private, 0o600);
  write(`${plan.clientKeyFile}.pub`, client.public + '\n', 0o644);
  write(plan.initScript, hostInitScript(), 0o755);

  const accounts = sandboxAccounts(
    {
      passwd: readMachine('/etc/passwd'),
      group: readMachine('/etc/group'),
      shadow: readMachine('/etc/shadow'),
      gshadow: readMachine('/etc/gshadow'),
    },
    !bare,
  );
  const shadowGid = safeStat('/etc/shadow')?.gid ?? 0;
  const distroConf = readMachine('/etc/supervisor/supervisord.conf', debianSupervisordConf) || debianSupervisordConf;
  const supervisordConf = setIniValues(distroConf, [socketGroupEdit(socketGroup)]);
  const login = { uid: accounts.loginUid, gid: accounts.loginGid };
  // One password for the fleet's hosts whose sudo asks for one, made when the first such host is written.
  let password: { text: string; hash: string } | undefined;
  const sudoPassword = () => (password ??= newSudoPassword(plan.sudoPasswordFile));

  const hostKeys = plan.hosts.map((host) => {
    const hostKey = generateEd25519(`${host.name}`);
    writeHostFiles(host, hostKey, client.public);
    const etc = path.join(host.dir, 'etc-upper');
    write(path.join(etc, 'passwd'), withLoginShell(accounts.files.passwd, sandboxShells[host.shell]), 0o644);
    // EPEL's package creates no `supervisor` group (setup does).
    const noGroup = (text: string) => (host.flavor === 'rhel' ? withoutGroup(text, socketGroup) : text);
    write(path.join(etc, 'group'), noGroup(accounts.files.group), 0o644);
    const shadow = host.sudo.startsWith('password') ? withPassword(accounts.files.shadow, sudoPassword()) : null;
    write(path.join(etc, 'shadow'), shadow ?? accounts.files.shadow, 0o640, { uid: 0, gid: shadowGid });
    write(path.join(etc, 'gshadow'), noGroup(accounts.files.gshadow), 0o640, { uid: 0, gid: shadowGid });
    write(path.join(etc, 'hostname'), `${host.name}\n`, 0o644);
    write(path.join(etc, 'hosts'), etcHostsText(host), 0o644);
    mkdirSync(path.join(etc, 'sudoers.d'), { mode: 0o750 });
    // The `user` flavor's login has no sudo: everything it deploys, it owns.
    if (host.flavor !== 'user') write(path.join(etc, 'sudoers.d', loginUser), sudoersText(host.sudo, loginUser), 0o440);
    const home = path.join(host.dir, 'home', loginUser);
    for (const dir of [home, path.join(home, '.ssh')]) {
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, login.uid, login.gid);
    }
    write(path.join(home, '.ssh', 'authorized_keys'), client.public + '\n', 0o600, login);
    writeFlavorSupervisor(host, { debianConf: supervisordConf, login, bare });
    if (!bare) hardenConf(host, plan.options);
    return hostKey.public;
  });
  write(plan.knownHostsFile, knownHostsText(plan.hosts, hostKeys), 0o644);
  mkdirSync(path.dirname(plan.options.inventoryFile), { recursive: true });
  write(plan.options.inventoryFile, inventoryText(plan), 0o644);
  if (plan.options.sshCa) writeSshCa(plan);
}

/** A random password for the login, written where `--sudo-pass-file` can read it, and its crypt(3) hash. */
function newSudoPassword(file: string): { text: string; hash: string } {
  const text = randomBytes(12).toString('base64url');
  write(file, `${text}\n`, 0o600);
  // crypt(3)'s SHA-512 scheme, which pam_unix reads: Node has no crypt, openssl has (Debian's base system carries it).
  const said = spawnSync('openssl', ['passwd', '-6', '-stdin'], { input: text, encoding: 'utf8' });
  const hash = said.stdout.trim();
  if (said.status !== 0 || !hash.startsWith('$6$'))
    throw new EnvironmentError(
      `openssl passwd -6 failed (${said.stderr.trim() || said.error?.message}): is openssl installed?`,
    );
  return { text, hash };
}

/** The shadow file with the login's password field set to `password`'s hash. */
function withPassword(shadow: string, password: { hash: string }): string {
  return shadow
    .split('\n')
    .map((line) =>
      line.startsWith(`${loginUser}:`) ? [loginUser, password.hash, ...line.split(':').slice(2)].join(':') : line,
    )
    .join('\n');
}

function writeHostFiles(host: SandboxHost, hostKey: KeyPair, clientPublicKey: string): void {
  mkdirSync(host.dir, { recursive: true, mode: 0o755 });
  for (const dir of ['etc-upper', 'etc-work', ...Object.keys(privateDirs)]) {
    mkdirSync(path.join(host.dir, dir), { mode: 0o755 });
  }
  chmodSync(path.join(host.dir, 'root'), 0o700);
  chmodSync(path.join(host.dir, 'tmp'), 0o1777);
  mkdirSync(path.join(host.dir, 'root', '.ssh'), { mode: 0o700 });
  write(path.join(host.dir, 'root', '.ssh', 'authorized_keys'), clientPublicKey + '\n', 0o600);
  write(path.join(host.dir, 'ssh_host_ed25519_key'), hostKey.private, 0o600);
  write(path.join(host.dir, 'ssh_host_ed25519_key.pub'), hostKey.public + '\n', 0o644);
  write(path.join(host.dir, 'sshd_config'), sshdConfig(host), 0o644);
}

function safeStat(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

let pipConfText: string | undefined;

/** What `echo_supervisord_conf` prints (it ships with Supervisor, Debian's package included). */
function pipConf(): string {
  if (pipConfText !== undefined) return pipConfText;
  const said = spawnSync('echo_supervisord_conf', { encoding: 'utf8' });
  if (said.status !== 0 || !said.stdout.includes('[unix_http_server]'))
    throw new EnvironmentError('sandbox --flavor pip: echo_supervisord_conf (from Supervisor) is not on the PATH');
  pipConfText = said.stdout;
  return pipConfText;
}

/** Supervisor's files as the host's flavor lays them out (a bare host gets none, the `user` flavor its directories). */
function writeFlavorSupervisor(
  host: SandboxHost,
  { debianConf, login, bare }: { debianConf: string; login: { uid: number; gid: number }; bare: boolean },
): void {
  const etc = path.join(host.dir, 'etc-upper');
  if (host.flavor === 'user') return writeUserSupervisor(host, login, bare);
  if (bare) return;
  if (host.flavor === 'debian') {
    write(path.join(host.dir, 'etc-supervisor', 'supervisord.conf'), debianConf, 0o644);
    mkdirSync(path.join(host.dir, 'etc-supervisor', 'conf.d'), { mode: 0o755 });
  }
  // pip's layout: the conf `echo_supervisord_conf` prints, as the user would have saved it (in the host's /etc).
  if (host.flavor === 'pip') write(path.join(etc, 'supervisord.conf'), pipConf(), 0o644);
  // EPEL's: its conf with the socket's default mode (no chmod/chown: the package sets none), its .ini include dir.
  if (host.flavor === 'rhel') {
    write(path.join(etc, 'supervisord.conf'), rhelSupervisordConf().replace(/^chmod=.*\n|^chown=.*\n/gm, ''), 0o644);
    mkdirSync(path.join(etc, 'supervisord.d'), { mode: 0o755 });
  }
}

/** Where the flavor's supervisord.conf was written, under the host's directory. */
function confInHostDir(host: SandboxHost): string {
  if (host.flavor === 'debian') return path.join(host.dir, 'etc-supervisor', 'supervisord.conf');
  if (host.flavor === 'user') return path.join(host.dir, 'home', loginUser, 'supervisor', 'supervisord.conf');
  return path.join(host.dir, 'etc-upper', 'supervisord.conf');
}

/**
 * `--private-conf`: the conf its owner's alone (0600); `--socket-auth`: a username and password on the socket, in
 * [unix_http_server] and, as a user would for supervisorctl, [supervisorctl]. The password is per host, random.
 */
function hardenConf(host: SandboxHost, options: SandboxPlan['options']): void {
  const file = confInHostDir(host);
  if (options.socketAuth) {
    const credentials = { username: 'convoy', password: randomBytes(12).toString('base64url') };
    const edits = [
      { section: 'unix_http_server', values: credentials },
      { section: 'supervisorctl', values: credentials },
    ];
    writeFileSync(file, setIniValues(readFileSync(file, 'utf8'), edits));
  }
  if (options.privateConf) chmodSync(file, 0o600);
}

/** The `user` flavor: a supervisord of the login's own under its home, and /srv and /opt the login's. */
function writeUserSupervisor(host: SandboxHost, login: { uid: number; gid: number }, bare: boolean): void {
  for (const dir of ['srv', 'opt']) chownSync(path.join(host.dir, dir), login.uid, login.gid);
  const dir = path.join(host.dir, 'home', loginUser, 'supervisor');
  for (const d of [dir, path.join(dir, 'conf.d')]) {
    mkdirSync(d, { mode: 0o755 });
    chownSync(d, login.uid, login.gid);
  }
  if (bare) return;
  write(path.join(dir, 'supervisord.conf'), userSupervisordConf(), 0o644, login);
}

/** A supervisord.conf as a user writes one for a supervisord of their own (paths as the host sees them). */
function userSupervisordConf(): string {
  const dir = userSupervisorDir;
  return [
    '[unix_http_server]',
    `file=${dir}/supervisor.sock`,
    'chmod=0700',
    '',
    '[supervisord]',
    `logfile=${dir}/supervisord.log`,
    `pidfile=${dir}/supervisord.pid`,
    `childlogdir=${dir}`,
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${dir}/supervisor.sock`,
    '',
    '[include]',
    'files = conf.d/*.conf',
    '',
  ].join('\n');
}

/** /etc/passwd with root's and convoy's login shell set (the last field of their lines). */
function withLoginShell(passwd: string, shell: string): string {
  return passwd
    .split('\n')
    .map((line) => {
      const fields = line.split(':');
      if (fields.length !== 7 || (fields[0] !== 'root' && fields[0] !== loginUser)) return line;
      return [...fields.slice(0, 6), shell].join(':');
    })
    .join('\n');
}

/** /etc/group (or gshadow) without one group's line. */
function withoutGroup(text: string, group: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith(`${group}:`))
    .join('\n');
}
