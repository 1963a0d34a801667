// ~/.ssh/config beneath the inventory: what OpenSSH would use for `ssh NAME` (HostName, User, Port, IdentityFile,
// ProxyJump), read with the `ssh-config` package.
import { createRequire } from 'node:module';
import type SSHConfig from 'ssh-config';
import { parsePort } from './settings.ts';

// The directives Convoy takes from ssh config for one name, as written (tokens and `~` not yet expanded).
export interface SshSettings {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  proxyJump?: string;
  connectTimeout?: string;
  serverAliveInterval?: string;
  serverAliveCountMax?: string;
}

// Looks names up in one ssh config; an absent file looks up nothing.
export interface SshConfigSource {
  file: string;
  lookup(name: string): SshSettings;
}

// Parses once; every host is then a lookup. A parse failure is a message, reported with the other problems.
export function readSshConfig(text: string | undefined, file: string): { source: SshConfigSource } | { error: string } {
  if (text === undefined) return { source: { file, lookup: () => ({ identityFiles: [] }) } };
  let config: SSHConfig;
  try {
    // Loaded only when there is a config to read: it costs every command ~30 ms of start-up otherwise.
    const parser = createRequire(import.meta.url)('ssh-config') as typeof SSHConfig;
    config = parser.parse(text);
  } catch (error) {
    return { error: `cannot parse: ${error instanceof Error ? error.message : String(error)}` };
  }
  // `Match exec` is never run: listing hosts must not spawn the commands a config file names.
  const lookup = (name: string): SshSettings =>
    toSettings(config.compute(name, { ignoreCase: true, matchExec: false }));
  return { source: { file, lookup } };
}

// Directive (lower-cased, as the parser gives it) → the setting it fills; the first value wins, as in OpenSSH.
const directives = [
  ['hostname', 'hostName'],
  ['user', 'user'],
  ['port', 'port'],
  ['proxyjump', 'proxyJump'],
  ['connecttimeout', 'connectTimeout'],
  ['serveraliveinterval', 'serverAliveInterval'],
  ['serveralivecountmax', 'serverAliveCountMax'],
] as const;

function toSettings(found: Record<string, string | string[]>): SshSettings {
  const identity = found.identityfile;
  const settings: SshSettings = {
    identityFiles: (Array.isArray(identity) ? identity : identity ? [identity] : []).filter((f) => f !== 'none'),
  };
  for (const [directive, key] of directives) {
    const value = found[directive];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) settings[key] = first;
  }
  return settings;
}

// OpenSSH's `%` tokens (`HostName %h.example.com`, `IdentityFile ~/.ssh/%h`); unknown tokens stay as written.
export function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%(.)/g, (all, letter: string) => (letter === '%' ? '%' : (tokens[letter] ?? all)));
}

// One hop of a ProxyJump list: `[user@]host[:port]` or `ssh://[user@]host[:port]`.
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

// `none` is null (no jump); `a,b` is two hops, the target reached through a then b.
export function parseProxyJump(value: string): { hops: JumpHop[] } | { error: string } | null {
  if (value.trim() === 'none') return null;
  const hops: JumpHop[] = [];
  for (const item of value.split(',').map((s) => s.trim())) {
    const hop = parseHop(item);
    if ('error' in hop) return { error: `ProxyJump '${value}': ${hop.error}` };
    hops.push(hop);
  }
  return { hops };
}

function parseHop(spec: string): JumpHop | { error: string } {
  let rest = spec.startsWith('ssh://') ? spec.slice('ssh://'.length) : spec;
  const hop: { user?: string; port?: number } = {};
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    hop.user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2];
  } else if (rest.split(':').length === 2) {
    [host = '', port] = rest.split(':');
  }
  if (host === '' || hop.user === '') return { error: `'${spec}' is not a hop (expected [user@]host[:port])` };
  if (port !== undefined) {
    const parsed = parsePort(port);
    if ('error' in parsed) return { error: `'${spec}': ${parsed.error}` };
    hop.port = parsed.value;
  }
  return { ...hop, host };
}
