// `convoy sandbox up|down|status`: a local fleet of real hosts for trying Convoy and for its tests.
import path from 'node:path';
import type { HostStatus } from '../sandbox/fleet.ts';
import { sandboxDown, sandboxStatus, sandboxUp } from '../sandbox/fleet.ts';
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { ExitCode } from '../errors.ts';

export const defaultStateDir = '.convoy/sandbox';
export const defaultSandboxInventory = 'inventories/sandbox.ini';

export interface SandboxUpOptions {
  hosts: number;
  bare: boolean;
  stateDir: string;
  port: number;
  firstAddress: string;
  /** Where to write the inventory; default: inventories/sandbox.ini for the default state dir, else inside it. */
  inventoryFile?: string | undefined;
  cwd: string;
  output: Output;
}

export function sandboxInventoryPath(cwd: string, stateDir: string, explicit?: string): string {
  if (explicit) return path.resolve(cwd, explicit);
  const absoluteState = path.resolve(cwd, stateDir);
  return absoluteState === path.resolve(cwd, defaultStateDir)
    ? path.resolve(cwd, defaultSandboxInventory)
    : path.join(absoluteState, 'sandbox.ini');
}

export async function sandboxUpCommand(options: SandboxUpOptions): Promise<number> {
  const stateDir = path.resolve(options.cwd, options.stateDir);
  const inventoryFile = sandboxInventoryPath(options.cwd, options.stateDir, options.inventoryFile);
  const { state, durationMs } = await sandboxUp({
    hosts: options.hosts,
    bare: options.bare,
    stateDir,
    port: options.port,
    firstAddress: options.firstAddress,
    inventoryFile,
  });
  const out = options.output;
  if (out.jsonMode) {
    out.json({ ...state, durationMs: Math.round(durationMs) });
    return ExitCode.ok;
  }
  const first = state.hosts[0];
  const last = state.hosts[state.hosts.length - 1];
  const rel = (p: string) => path.relative(options.cwd, p) || '.';
  out.line(
    `sandbox: ${state.hosts.length} host${state.hosts.length === 1 ? '' : 's'} up in ${(durationMs / 1000).toFixed(1)}s ` +
      `(${first?.address}…${last?.address}, port ${options.port}; ${options.bare ? 'bare: sshd only, no supervisord' : 'sshd + supervisord'})`,
  );
  out.line(`inventory:   ${rel(inventoryFile)}`);
  out.line(
    `try:         ssh -i ${rel(state.clientKeyFile)} -o UserKnownHostsFile=${rel(state.knownHostsFile)}${options.port === 22 ? '' : ` -p ${options.port}`} root@${first?.address} hostname`,
  );
  out.line(
    `stop it:     convoy sandbox down${stateDir === path.resolve(options.cwd, defaultStateDir) ? '' : ` --state-dir ${rel(stateDir)}`}`,
  );
  return ExitCode.ok;
}

export interface SandboxDirOptions {
  stateDir: string;
  cwd: string;
  output: Output;
}

export async function sandboxDownCommand(options: SandboxDirOptions): Promise<number> {
  const result = await sandboxDown(path.resolve(options.cwd, options.stateDir));
  if (options.output.jsonMode) options.output.json({ ...result, durationMs: Math.round(result.durationMs) });
  else if (!result.found) options.output.line(`sandbox: nothing to stop in ${options.stateDir}`);
  else
    options.output.line(
      `sandbox: ${result.stopped} host${result.stopped === 1 ? '' : 's'} stopped in ${(result.durationMs / 1000).toFixed(1)}s, state removed`,
    );
  return ExitCode.ok;
}

export async function sandboxStatusCommand(options: SandboxDirOptions): Promise<number> {
  const { state, hosts } = await sandboxStatus(path.resolve(options.cwd, options.stateDir));
  const out = options.output;
  if (!state) {
    if (out.jsonMode) out.json({ up: false, hosts: [] });
    else out.line(`sandbox: not up (no state in ${options.stateDir}); start one with \`convoy sandbox up\``);
    return ExitCode.unreachable;
  }
  const healthy = (h: HostStatus) => h.running && h.sshd && h.supervisord !== 'stopped';
  if (out.jsonMode) {
    out.json({ up: true, stateDir: state.stateDir, inventoryFile: state.inventoryFile, hosts });
  } else {
    out.line(
      formatTable(
        ['HOST', 'ADDRESS', 'PID', 'SSHD', 'SUPERVISORD', 'MEMORY'],
        hosts.map((h) => [
          h.name,
          `${h.address}:${h.port}`,
          h.pid === null ? '-' : String(h.pid),
          h.sshd ? 'up' : 'down',
          h.supervisord,
          `${(h.memoryKb / 1024).toFixed(1)} MB`,
        ]),
      ),
    );
    const ok = hosts.filter(healthy).length;
    out.line(`${ok}/${hosts.length} hosts up; inventory ${path.relative(options.cwd, state.inventoryFile)}`);
  }
  return hosts.every(healthy) ? ExitCode.ok : ExitCode.unreachable;
}
