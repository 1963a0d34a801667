// The fleet's state file: what `up` started, so that `down` stops exactly that and nothing else.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
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
