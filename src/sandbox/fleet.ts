// Starts, inspects and stops a sandbox fleet: real sshd + supervisord hosts in their own namespaces.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConvoyError, EnvironmentError, UsageError } from '../errors.ts';
import { writeFleetFiles } from './files.ts';
import type { SandboxHost, SandboxOptions, SandboxPlan, SandboxTools } from './plan.ts';
import { flavorLayout, hostCommand, sandboxShells, initScriptPath, inventoryMarker, planSandbox } from './plan.ts';
import { checkAddressesFree, checkMachine, checkShells, checkStateDir } from './preflight.ts';
import type { RecordedProcess } from './processes.ts';
import { childPids, commandLine, isSameProcess, namespaceMemoryKb, processStartTime } from './processes.ts';
import type { HostState, SandboxState } from './state.ts';
import { liveHosts, readStateIn, writeState } from './state.ts';

const readyTimeoutMs = 60_000;
// How long one readiness probe waits for sshd's banner. sshd forks and re-executes itself for every connection: while
// 200 hosts start at once that can take over a second, and a probe that gives up sooner only adds another fork.
const bannerWaitMs = 5_000;
const stopTimeoutMs = 5_000;

export interface UpResult {
  state: SandboxState;
  durationMs: number;
}

/** Brings up the planned fleet; on any failure stops what it started and throws. */
export async function sandboxUp(options: SandboxOptions): Promise<UpResult> {
  const started = performance.now();
  const plan = planSandbox(options);
  const tools = checkMachine();
  checkShells(plan.hosts.map((h) => sandboxShells[h.shell]));
  clearPreviousFleet(options.stateDir);
  await checkAddressesFree(plan);
  writeFleetFiles(plan);

  const state = initialState(options, plan);
  try {
    for (const host of plan.hosts) state.hosts.push(startHost(plan, host, tools));
    // Recorded before waiting: should this process die while it waits, `sandbox down` can still stop the hosts.
    writeState(plan.stateFile, state);
    await Promise.all(state.hosts.map(waitUntilReady));
    writeState(plan.stateFile, state);
  } catch (error) {
    await stopHosts(state.hosts, options.stateDir);
    removeFleetFiles(options.stateDir, state);
    throw error;
  }
  return { state, durationMs: performance.now() - started };
}

/** Refuses a fleet that still runs in the state dir and removes one that stopped; with none, checks the dir. */
function clearPreviousFleet(stateDir: string): void {
  const previous = readStateIn(stateDir);
  if (!previous) {
    checkStateDir(stateDir);
    return;
  }
  const live = liveHosts(previous);
  if (live.length > 0) {
    throw new UsageError(
      `a sandbox of ${previous.hosts.length} hosts is already up in ${stateDir} (${live.length} running).\n` +
        'Use it as it is, or run `convoy sandbox down` first.',
    );
  }
  removeFleetFiles(stateDir, previous);
}

function initialState(options: SandboxOptions, plan: SandboxPlan): SandboxState {
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    bare: options.bare,
    stateDir: options.stateDir,
    inventoryFile: options.inventoryFile,
    clientKeyFile: plan.clientKeyFile,
    knownHostsFile: plan.knownHostsFile,
    hosts: [],
  };
}

/** Starts the host's namespaces detached (its output to init.log); its init process is not known yet. */
function startHost(plan: SandboxPlan, host: SandboxHost, tools: SandboxTools): HostState {
  const log = openSync(path.join(host.dir, 'init.log'), 'a');
  const [command, ...args] = hostCommand(plan, host, tools);
  const child = spawn(command as string, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  const startTime = pid === undefined ? undefined : processStartTime(pid);
  if (pid === undefined || startTime === undefined)
    throw new ConvoyError(`could not start ${host.name}: unshare exited at once (see ${host.dir}/init.log)`);
  return {
    name: host.name,
    address: host.address,
    port: host.port,
    dir: host.dir,
    unshare: { pid, startTime },
    init: null,
    flavor: host.flavor,
  };
}

async function waitUntilReady(host: HostState): Promise<void> {
  host.init = await waitForInit(host);
  await waitForSsh(host);
}

async function waitForInit(host: HostState): Promise<RecordedProcess> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    const [pid] = childPids(host.unshare.pid);
    const startTime = pid === undefined ? undefined : processStartTime(pid);
    if (pid !== undefined && startTime !== undefined) return { pid, startTime };
    if (!isSameProcess(host.unshare)) break;
    await sleep(10);
  }
  throw hostFailed(host, 'its namespaces did not start');
}

/** Waits until the host's sshd sends its banner (the init script starts sshd only once supervisord answers). */
async function waitForSsh(host: HostState): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (await readsSshBanner(host.address, host.port, bannerWaitMs)) return;
    if (host.init && !isSameProcess(host.init)) break;
    await sleep(25);
  }
  throw hostFailed(host, 'sshd did not answer');
}

function hostFailed(host: HostState, what: string): EnvironmentError {
  const logs = ['init.log', 'sshd.log']
    .map((f) => tail(path.join(host.dir, f)))
    .filter(Boolean)
    .join('\n');
  return new EnvironmentError(
    `sandbox host ${host.name} (${host.address}:${host.port}) failed to start: ${what}.${logs ? `\n${logs}` : ''}`,
  );
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((l) => `  ${path.basename(file)}: ${l}`)
      .join('\n');
  } catch {
    return '';
  }
}

export function readsSshBanner(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('SSH-')));
  });
}

/** True when a process listens on the unix socket (a stale socket file refuses). */
function acceptsConnection(socketFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketFile, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface DownResult {
  stopped: number;
  durationMs: number;
  found: boolean;
}

/**
 * Stops exactly the recorded processes that are this dir's hosts and removes `stateDir` (only it: a state file that
 * records another dir is refused) and the inventory it generated.
 */
export async function sandboxDown(stateDir: string): Promise<DownResult> {
  const started = performance.now();
  const state = readStateIn(stateDir);
  if (!state) return { stopped: 0, durationMs: performance.now() - started, found: false };
  const stopped = await stopHosts(state.hosts, stateDir);
  removeFleetFiles(stateDir, state);
  return { stopped, durationMs: performance.now() - started, found: true };
}

/**
 * The recorded processes that are this dir's hosts: an `unshare` running the dir's init script, and its child. A
 * state file may name any process (PIDs and start times are public in /proc); `down` runs as root.
 */
function hostProcesses(hosts: readonly HostState[], stateDir: string): RecordedProcess[][] {
  const script = initScriptPath(stateDir);
  return hosts.flatMap((h) => {
    if (!isSameProcess(h.unshare) || !commandLine(h.unshare.pid).includes(script)) return [];
    const { init } = h;
    const child = init !== null && isSameProcess(init) && childPids(h.unshare.pid).includes(init.pid);
    return [child ? [init, h.unshare] : [h.unshare]];
  });
}

/** SIGKILL to each host's PID 1 ends its whole PID namespace; `unshare --kill-child` then exits by itself. */
async function stopHosts(hosts: readonly HostState[], stateDir: string): Promise<number> {
  const perHost = hostProcesses(hosts, stateDir);
  const ours = perHost.flat();
  const stopped = perHost.length;
  for (const p of ours) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the signal.
    }
  }
  const deadline = Date.now() + stopTimeoutMs;
  while (ours.some(isSameProcess)) {
    if (Date.now() > deadline) {
      const left = ours.filter(isSameProcess).map((p) => p.pid);
      throw new ConvoyError(`sandbox processes did not stop within ${stopTimeoutMs / 1000}s: PIDs ${left.join(', ')}`);
    }
    await sleep(10);
  }
  return stopped;
}

/** Removes `stateDir` (the one given, never one a state file names) and the inventory if Convoy generated it. */
function removeFleetFiles(stateDir: string, state: SandboxState): void {
  try {
    if (readFileSync(state.inventoryFile, 'utf8').startsWith(inventoryMarker)) unlinkSync(state.inventoryFile);
  } catch {
    // No inventory left to remove, or one that someone else wrote: keep it.
  }
  rmSync(stateDir, { recursive: true, force: true });
}

export interface HostStatus {
  name: string;
  address: string;
  port: number;
  pid: number | null;
  running: boolean;
  sshd: boolean;
  supervisord: 'running' | 'stopped' | 'bare';
  memoryKb: number;
}

export interface StatusResult {
  state: SandboxState | undefined;
  hosts: HostStatus[];
}

/** Reads each host's state from the machine side: processes, sshd banner, supervisord socket. */
export async function sandboxStatus(stateDir: string): Promise<StatusResult> {
  const state = readStateIn(stateDir);
  if (!state) return { state, hosts: [] };
  const hosts = await Promise.all(
    state.hosts.map(async (h): Promise<HostStatus> => {
      const running = h.init !== null && isSameProcess(h.init);
      const pid = running && h.init ? h.init.pid : null;
      const socket = flavorLayout[h.flavor ?? 'debian'].socket;
      const socketUp = pid !== null && (await acceptsConnection(`/proc/${pid}/root${socket}`));
      return {
        name: h.name,
        address: h.address,
        port: h.port,
        pid,
        running,
        sshd: running && (await readsSshBanner(h.address, h.port)),
        supervisord: socketUp ? 'running' : state.bare ? 'bare' : 'stopped',
        memoryKb: pid === null ? 0 : namespaceMemoryKb(pid),
      };
    }),
  );
  return { state, hosts };
}
