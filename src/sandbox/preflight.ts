// What the machine must have before any host starts; every miss is reported at once with the fix.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EnvironmentError } from '../errors.ts';
import type { SandboxPlan, SandboxTools } from './plan.ts';

const installHint = 'apt-get install openssh-server supervisor';

/** Finds `name` on PATH or in the sbin directories that a non-login root shell may lack. */
export function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [
    ...(env.PATH ?? '').split(':'),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Checks platform, privileges and programs; returns the programs' paths. */
export function checkMachine(): SandboxTools {
  if (process.platform !== 'linux') {
    throw new EnvironmentError(
      `convoy sandbox needs Linux namespaces; this machine runs ${process.platform}. Use real hosts with an inventory instead.`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError(
      'convoy sandbox needs root (it creates namespaces and mounts): run it as root, e.g. `sudo npx convoy sandbox up`.',
    );
  }
  const problems: string[] = [];
  const found: Partial<SandboxTools> = {};
  for (const [key, program, pkg] of [
    ['unshare', 'unshare', 'util-linux'],
    ['sshd', 'sshd', 'openssh-server'],
    ['supervisord', 'supervisord', 'supervisor'],
  ] as const) {
    const where = findProgram(program);
    if (where) found[key] = where;
    else problems.push(`${program} not found (Debian package ${pkg})`);
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay')) {
    problems.push("the kernel has no overlay filesystem (needed for each host's private /etc): try `modprobe overlay`");
  }
  if (problems.length > 0) {
    throw new EnvironmentError(
      `cannot start the sandbox: ${problems.join('; ')}.\nInstall what is missing with: ${installHint}`,
    );
  }
  return found as SandboxTools;
}

/** Fails when another process already listens on a host's address and port (nothing started yet). */
export async function checkAddressesFree(plan: SandboxPlan): Promise<void> {
  const busy: string[] = [];
  await Promise.all(
    plan.hosts.map(async (h) => {
      if (!(await canListen(h.address, h.port))) busy.push(`${h.address}:${h.port}`);
    }),
  );
  if (busy.length > 0) {
    busy.sort();
    throw new EnvironmentError(
      `cannot start the sandbox: address already in use: ${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ` and ${busy.length - 5} more` : ''}.\n` +
        "Another sandbox (see `convoy sandbox status`) or the machine's own sshd on 0.0.0.0 holds it: " +
        'stop it, or choose other addresses or another port (`--first-address 127.0.2.1`, `--port 2222`).',
    );
  }
}

function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The state dir must be new or empty (it is deleted on `down`) and outside the trees each host replaces early. */
export function checkStateDir(stateDir: string): void {
  const hidden = ['/run', '/var/run', '/proc', '/sys', '/dev'].find(
    (top) => stateDir === top || stateDir.startsWith(`${top}/`),
  );
  if (hidden) {
    throw new EnvironmentError(
      `--state-dir ${stateDir}: must not be under ${hidden} (each host mounts its own there); choose e.g. .convoy/sandbox`,
    );
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(stateDir);
  } catch {
    return;
  }
  if (entries.length > 0) {
    throw new EnvironmentError(
      `--state-dir ${stateDir}: exists and is not empty, and holds no sandbox state; \`convoy sandbox down\` deletes the state dir, so choose a new or empty directory`,
    );
  }
}

/** Every login shell the fleet asks for is installed here (hosts run the machine's programs). */
export function checkShells(shells: readonly string[]): void {
  const missing = [...new Set(shells)].filter((shell) => !existsSync(shell));
  if (missing.length > 0)
    throw new EnvironmentError(
      `cannot start the sandbox: ${missing.join(', ')} not installed on this machine (apt-get install fish tcsh)`,
    );
}
