// The keys Convoy itself reads; every other key in a section is a variable for tasks and templates.
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';
import { isIP } from 'node:net';
import { resolveLocalPath } from './paths.ts';

// In the order of docs/inventory.md ("Settings and variables"); also the candidates for "did you mean" on misspelt keys. The last three are OpenSSH's
// ConnectTimeout, ServerAliveInterval and ServerAliveCountMax.
export const settingNames = [
  'address',
  'port',
  'user',
  'identity',
  'jump',
  'sudo',
  'supervisor_conf',
  'known_hosts',
  'connect_timeout',
  'server_alive_interval',
  'server_alive_count_max',
  'step_timeout',
  'transport',
  'bind_address',
  'fanout',
  'relay',
] as const;
export type SettingName = (typeof settingNames)[number];

// Keys that shape groups rather than configure hosts; only meaningful in [group:…].
export const structuralKeys = ['hosts', 'children'] as const;
export type StructuralKey = (typeof structuralKeys)[number];

// Each setting's value once checked: paths absolute, `jump = none` as null.
export interface SettingValues {
  address: string;
  port: number;
  user: string;
  identity: string;
  jump: string | null;
  sudo: boolean;
  supervisor_conf: string;
  known_hosts: string;
  /** Milliseconds. */
  connect_timeout: number;
  /** Milliseconds; 0 = no keepalives. */
  server_alive_interval: number;
  server_alive_count_max: number;
  /** Milliseconds; 0 = none. */
  step_timeout: number;
  /** ssh2 (in-process, the default) or openssh (the system ssh, one ControlMaster per host). */
  transport: 'ssh2' | 'openssh';
  /** The local address connections leave from (OpenSSH's BindAddress): an IP address of this machine. */
  bind_address: string;
  /** Fan-out uploads (docs/deploy.md, "Fan-out"): hosts this one passes the artifact on to at once; 0 = off. */
  fanout: number;
  /** Whether this host may take part in fan-out (send to and receive from other hosts); default true. */
  relay: boolean;
}

// Narrows a key so its value can be parsed by name.
export function isSetting(key: string): key is SettingName {
  return (settingNames as readonly string[]).includes(key);
}

// `hosts` and `children` are group structure, not settings or variables.
export function isStructural(key: string): key is StructuralKey {
  return (structuralKeys as readonly string[]).includes(key);
}

// The timeouts' ranges, shared with ssh config's ConnectTimeout and ServerAliveInterval.
export const connectTimeoutRange: DurationRange = { max: 3_600_000 };
export const serverAliveIntervalRange: DurationRange = { max: 3_600_000, allowZero: true, zeroMeans: 'no keepalives' };
// A remote step (a command, a supervisord call) may take this long at most; 0 turns the limit off.
export const stepTimeoutRange: DurationRange = { max: 86_400_000, allowZero: true, zeroMeans: 'no limit' };
const durationRanges = {
  connect_timeout: connectTimeoutRange,
  server_alive_interval: serverAliveIntervalRange,
  step_timeout: stepTimeoutRange,
};

// A bad value is a message for the caller to locate, not an exception.
export type Parsed<T> = { value: T } | { error: string };

// The largest fan-out: each relay is an ssh process and a channel on the sender (sshd's MaxSessions is 10).
export const maxFanout = 8;

// What a value of each setting should look like, for messages.
const expected: Record<SettingName, string> = {
  address: 'a host name or IP address',
  port: 'an integer from 1 to 65535',
  user: 'a login name',
  identity: 'the path of a private key file',
  jump: "an inventory host name, or 'none'",
  sudo: 'true, false, yes, no, 1 or 0',
  supervisor_conf: 'the absolute path of supervisord.conf on the host',
  known_hosts: 'the path of a known_hosts file',
  connect_timeout: expectedDuration(connectTimeoutRange),
  server_alive_interval: expectedDuration(serverAliveIntervalRange),
  server_alive_count_max: 'an integer from 1 to 100',
  step_timeout: expectedDuration(stepTimeoutRange),
  transport: 'ssh2 or openssh',
  bind_address: 'an IP address of this machine, e.g. 127.0.0.2 or 2001:db8::5',
  fanout: `an integer from 0 to ${maxFanout}`,
  relay: 'true, false, yes, no, 1 or 0',
};

const truthy = ['true', 'yes', '1'];
const falsy = ['false', 'no', '0'];

// The port rule is shared with ssh config's `Port`.
export function parsePort(raw: string): Parsed<number> {
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) return { error: `'${raw}' is not a port (expected ${expected.port})` };
  return { value: port };
}

// Shared with --bind-address and ssh config's BindAddress: Node connects only from an IP address (no name lookup).
export function parseBindAddress(raw: string): Parsed<string> {
  return isIP(raw) ? { value: raw } : { error: `'${raw}' is not an IP address (expected ${expected.bind_address})` };
}

// Checks one setting's value; local paths are resolved against the inventory's directory and the injected home.
export function parseSetting<K extends SettingName>(
  name: K,
  raw: string,
  where: { baseDir: string; homeDir: string },
): Parsed<SettingValues[K]> {
  if (raw === '') return { error: `empty value (expected ${expected[name]})` };
  return parseValue(name, raw, where) as Parsed<SettingValues[K]>;
}

function parseValue(
  name: SettingName,
  raw: string,
  where: { baseDir: string; homeDir: string },
): Parsed<SettingValues[SettingName]> {
  const noSpaces = (): Parsed<string> =>
    /\s/.test(raw) ? { error: `'${raw}' contains spaces (expected ${expected[name]})` } : { value: raw };
  switch (name) {
    case 'address':
    case 'user':
      return noSpaces();
    case 'port':
      return parsePort(raw);
    case 'jump':
      return raw === 'none' ? { value: null } : noSpaces();
    case 'sudo':
    case 'relay': {
      const lower = raw.toLowerCase();
      if (truthy.includes(lower)) return { value: true };
      if (falsy.includes(lower)) return { value: false };
      return { error: `'${raw}' is not a boolean (expected ${expected[name]})` };
    }
    case 'fanout': {
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return n >= 0 && n <= maxFanout ? { value: n } : { error: `'${raw}' is not valid (expected ${expected.fanout})` };
    }
    case 'supervisor_conf':
      return raw.startsWith('/')
        ? { value: raw }
        : { error: `'${raw}' is not an absolute path (expected ${expected.supervisor_conf})` };
    case 'identity':
    case 'known_hosts':
      return { value: resolveLocalPath(raw, where.baseDir, where.homeDir) };
    case 'connect_timeout':
    case 'server_alive_interval':
    case 'step_timeout': {
      const ms = parseDuration(raw, durationRanges[name]);
      return ms === undefined ? { error: `'${raw}' is not valid (expected ${expected[name]})` } : { value: ms };
    }
    case 'transport':
      return raw === 'ssh2' || raw === 'openssh'
        ? { value: raw }
        : { error: `'${raw}' is not a transport (expected ${expected.transport})` };
    case 'bind_address':
      return parseBindAddress(raw);
    case 'server_alive_count_max': {
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return n >= 1 && n <= 100
        ? { value: n }
        : { error: `'${raw}' is not valid (expected ${expected.server_alive_count_max})` };
    }
  }
}
