// Integration-test support: brings up a sandbox fleet through the real `convoy` binary in its own state dir and
// address range, and always tears it down.
import { jsonLines } from './json-lines.ts';
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram } from '../../../src/sandbox/preflight.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
export const convoyBin = path.join(repoRoot, 'bin', 'convoy.js');

/** Why integration tests cannot run here, or undefined. In CI they must run, so CI never gets a skip. */
export function integrationSkipReason(): string | undefined {
  const missing = [
    process.getuid?.() !== 0 ? 'root' : '',
    findProgram('sshd') ? '' : 'sshd',
    findProgram('supervisord') ? '' : 'supervisord',
  ].filter(Boolean);
  if (missing.length === 0 || process.env.CI) return undefined;
  return `needs ${missing.join(', ')} (run .ci/run, or as root after apt-get install openssh-server supervisor)`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function convoy(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [convoyBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI in the background, its output collected as it comes (read `stdout`/`stderr` at any time). */
export interface BackgroundConvoy {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Settles with the exit code. */
  closed: Promise<number | null>;
}

export function spawnConvoy(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): BackgroundConvoy {
  const child = spawn(process.execPath, [convoyBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => (output.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output.stderr += c.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    closed,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
  };
}

/** A user's repository with Convoy installed (`import { defineApp } from 'convoy'` resolves to this package) and an empty tasks/. */
export function userProject(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `convoy-${name}-`));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'convoy'));
  mkdirSync(path.join(dir, 'tasks'));
  return dir;
}

export interface TestFleet {
  stateDir: string;
  inventory: string;
  keyFile: string;
  knownHosts: string;
  addresses: string[];
  port: number;
  down(): CliResult;
}

export interface FleetOptions {
  hosts: number;
  firstAddress: string;
  port?: number;
  bare?: boolean;
  /** `--flavor`, e.g. `debian,pip`. */
  flavors?: string;
  /** `--login-shell`, e.g. `bash,fish,tcsh`. */
  shells?: string;
  /** `--sudo`, e.g. `password,nopasswd-tty`. */
  sudo?: string;
  /** `--private-conf`: every supervisord.conf 0600. */
  privateConf?: boolean;
  /** `--socket-auth`: a username and password on every socket. */
  socketAuth?: boolean;
  /** `--ssh-ca`: CA-signed host keys and user certificates only (for transport = openssh). */
  sshCa?: boolean;
}

/** Starts a fleet; throws with the CLI's output when it fails. Pair with `fleet.down()` in an `after` hook. */
export function startFleet(options: FleetOptions): TestFleet {
  const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'convoy-it-')), 'sandbox');
  // Whose fleet this is: run-tests stops leftover fleets only when this process is gone.
  writeFileSync(path.join(path.dirname(stateDir), 'owner.pid'), `${process.pid}\n`);
  const port = options.port ?? 22;
  const args = [
    'sandbox',
    'up',
    '--hosts',
    String(options.hosts),
    '--first-address',
    options.firstAddress,
    '--port',
    String(port),
    '--state-dir',
    stateDir,
    '--json',
  ];
  if (options.bare) args.push('--bare');
  if (options.flavors) args.push('--flavor', options.flavors);
  if (options.shells) args.push('--login-shell', options.shells);
  if (options.sudo) args.push('--sudo', options.sudo);
  if (options.privateConf) args.push('--private-conf');
  if (options.socketAuth) args.push('--socket-auth');
  if (options.sshCa) args.push('--ssh-ca');
  const up = convoy(args);
  if (up.code !== 0) {
    rmSync(path.dirname(stateDir), { recursive: true, force: true });
    throw new Error(`sandbox up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }
  const lines = jsonLines<{ address: string }>(up.stdout);
  const state = {
    ...(lines.summary as unknown as { inventoryFile: string; clientKeyFile: string; knownHostsFile: string }),
    hosts: lines.results,
  };
  return {
    stateDir,
    inventory: state.inventoryFile,
    keyFile: state.clientKeyFile,
    knownHosts: state.knownHostsFile,
    addresses: state.hosts.map((h) => h.address),
    port,
    down: () => {
      const result = convoy(['sandbox', 'down', '--state-dir', stateDir]);
      rmSync(path.dirname(stateDir), { recursive: true, force: true });
      return result;
    },
  };
}

/** Runs `command` on a fleet host with plain OpenSSH, strict host key checking against the fleet's known_hosts. */
export function openssh(fleet: TestFleet, address: string, command: string, user = 'root'): CliResult {
  const result = spawnSync('ssh', opensshArgs(fleet, address, command, user), { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `openssh` without blocking: several hosts at once. */
export function opensshAsync(fleet: TestFleet, address: string, command: string, user = 'root'): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      opensshArgs(fleet, address, command, user),
      { encoding: 'utf8', timeout: 60_000 },
      (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }),
    );
  });
}

function opensshArgs(fleet: TestFleet, address: string, command: string, user: string): string[] {
  return [
    '-i',
    fleet.keyFile,
    '-o',
    `UserKnownHostsFile=${fleet.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-F',
    '/dev/null',
    '-p',
    String(fleet.port),
    `${user}@${address}`,
    command,
  ];
}
