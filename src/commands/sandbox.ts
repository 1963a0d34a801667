// `convoy sandbox up|down|status`: a local fleet of real hosts for trying Convoy and for its tests.
import path from 'node:path';
import type { HostStatus } from '../sandbox/fleet.ts';
import { sandboxDown, sandboxStatus, sandboxUp } from '../sandbox/fleet.ts';
import type { SandboxFlavor, SandboxShell, SandboxSudo } from '../sandbox/plan.ts';
import type { Output } from '../output/output.ts';
import { showSandboxDown, showSandboxStatus, showSandboxUp } from '../output/views/sandbox.ts';
import { ExitCode } from '../errors.ts';

export const defaultStateDir = '.convoy/sandbox';
export const defaultSandboxInventory = 'inventories/sandbox.ini';

export interface SandboxUpOptions {
  hosts: number;
  bare: boolean;
  flavors?: readonly SandboxFlavor[] | undefined;
  shells?: readonly SandboxShell[] | undefined;
  sudo?: readonly SandboxSudo[] | undefined;
  privateConf?: boolean | undefined;
  socketAuth?: boolean | undefined;
  stateDir: string;
  port: number;
  firstAddress: string;
  /** Where to write the inventory; default: inventories/sandbox.ini for the default state dir, else inside it. */
  inventoryFile?: string | undefined;
  /** `--ssh-ca`: hosts reachable by certificates only (host CA, user CA), for `transport = openssh`. */
  sshCa?: boolean | undefined;
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
    flavors: options.flavors,
    shells: options.shells,
    sudo: options.sudo,
    privateConf: options.privateConf,
    socketAuth: options.socketAuth,
    stateDir,
    port: options.port,
    firstAddress: options.firstAddress,
    inventoryFile,
    sshCa: options.sshCa,
  });
  const isDefault = stateDir === path.resolve(options.cwd, defaultStateDir);
  showSandboxUp(options.output, {
    state,
    durationMs,
    port: options.port,
    bare: options.bare,
    stateDirFlag: isDefault ? undefined : path.relative(options.cwd, stateDir) || '.',
    cwd: options.cwd,
  });
  return ExitCode.ok;
}

export interface SandboxDirOptions {
  stateDir: string;
  cwd: string;
  output: Output;
}

export async function sandboxDownCommand(options: SandboxDirOptions): Promise<number> {
  const result = await sandboxDown(path.resolve(options.cwd, options.stateDir));
  showSandboxDown(options.output, result, options.stateDir);
  return ExitCode.ok;
}

export async function sandboxStatusCommand(options: SandboxDirOptions): Promise<number> {
  const { state, hosts } = await sandboxStatus(path.resolve(options.cwd, options.stateDir));
  const healthy = (h: HostStatus) => h.running && h.sshd && h.supervisord !== 'stopped';
  const exitCode = state && hosts.every(healthy) ? ExitCode.ok : ExitCode.unreachable;
  showSandboxStatus(options.output, { state, hosts, healthy }, exitCode, options);
  return exitCode;
}
