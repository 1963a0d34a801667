// The fleet's state file: what `up` started, so that `down` stops exactly that and nothing else.
import type { SandboxFlavor } from './plan.ts';
import { readFileSync, realpathSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { RecordedProcess } from './processes.ts';
import { isSameProcess } from './processes.ts';

export interface HostState {
  name: string;
  address: string;
  port: number;
  dir: string;
  /** The `unshare` process that holds the namespaces. */
  unshare: RecordedProcess;
  /** PID 1 of the host's PID namespace (sshd once started), as seen from the machine. */
  init: RecordedProcess | null;
  /** Absent in fleets started before flavors: `debian`. */
  flavor?: SandboxFlavor | undefined;
}

export interface SandboxState {
  version: 1;
  createdAt: string;
  bare: boolean;
  stateDir: string;
  inventoryFile: string;
  clientKeyFile: string;
  knownHostsFile: string;
  hosts: HostState[];
}

export function readState(file: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The state of the fleet in `stateDir`, refused when it records another dir: `down` runs as root and removes the dir
 * and stops the processes, so a copied or edited state file must not make it act on anything but the dir it was given.
 */
export function readStateIn(stateDir: string): SandboxState | undefined {
  const file = path.join(stateDir, 'state.json');
  const state = readState(file);
  if (state && !sameDir(state.stateDir, stateDir)) {
    throw new UsageError(
      `${file} records the state dir ${state.stateDir}, not ${stateDir}: a copied or edited state file. ` +
        'Nothing was stopped or removed.',
    );
  }
  return state;
}

function sameDir(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || !path.isAbsolute(a)) return false;
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

export function writeState(file: string, state: SandboxState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** A host runs while any of its recorded processes does (same PID and start time). */
export function isLive(host: HostState): boolean {
  return isSameProcess(host.unshare) || (host.init !== null && isSameProcess(host.init));
}

/** Hosts whose recorded processes still run. */
export function liveHosts(state: SandboxState): HostState[] {
  return state.hosts.filter(isLive);
}
