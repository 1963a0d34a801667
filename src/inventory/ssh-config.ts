// ~/.ssh/config (then /etc/ssh/ssh_config) beneath the inventory: what OpenSSH would use for `ssh NAME`, with
// Include, Host and Match evaluated by our own reader (ssh-config-eval.ts).
import { evaluateSshConfig } from './ssh-config-eval.ts';
import type { RawSettings, SshConfigIo } from './ssh-config-eval.ts';
import { parsePort } from './settings.ts';

// The directives Convoy takes from ssh config for one name, as written (tokens and `~` not yet expanded).
export interface SshSettings {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  identitiesOnly?: string;
  identityAgent?: string;
  /** UserKnownHostsFile: the words of the first line that sets it. */
  userKnownHostsFiles?: string[];
  hostKeyAlias?: string;
  proxyJump?: string;
  proxyCommand?: string;
  bindAddress?: string;
  certificateFiles: string[];
  connectTimeout?: string;
  serverAliveInterval?: string;
  serverAliveCountMax?: string;
  /** `Match exec` commands that were not run (when listing hosts): what they decide is unknown. */
  skippedExec: string[];
  /** Lines that could not be read, `file:line: why`. */
  errors: string[];
}

// Looks names up in one ssh config; an absent file looks up nothing.
export interface SshConfigSource {
  file: string;
  lookup(name: string): SshSettings;
}

// Where the configs are: the user's (its text given, so parsing stays pure) and the system's (read through io).
export interface SshConfigFiles {
  file: string;
  text: string | undefined;
  systemFile?: string | undefined;
  io?: SshConfigIo | undefined;
}

// No files at all: Includes and the system file are not read (the default of the pure parseInventory).
function noFiles(homeDir: string, localUser: string): SshConfigIo {
  return { homeDir, localUser, read: () => undefined, glob: () => [] };
}

// Every host is a lookup; each lookup evaluates the files anew, as ssh does, since Host and Match decide per name.
export function readSshConfig(files: SshConfigFiles, homeDir: string, localUser: string): SshConfigSource {
  const base = files.io ?? noFiles(homeDir, localUser);
  // Files and globs are read once per load, not once per host (Match exec still runs per host, as in ssh).
  const texts = new Map<string, string | undefined>([[files.file, files.text]]);
  const globs = new Map<string, string[]>();
  const io: SshConfigIo = {
    ...base,
    read: (f) => (texts.has(f) ? texts.get(f) : texts.set(f, base.read(f)).get(f)),
    glob: (p) => globs.get(p) ?? globs.set(p, base.glob(p)).get(p) ?? [],
  };
  const lookup = (name: string): SshSettings =>
    toSettings(
      evaluateSshConfig(
        name,
        { user: files.text === undefined ? undefined : files.file, system: files.systemFile },
        io,
      ),
    );
  return { file: files.file, lookup };
}

// Directive (lower case) → the setting it fills; the first value wins, as in OpenSSH.
const directives = [
  ['hostname', 'hostName'],
  ['user', 'user'],
  ['port', 'port'],
  ['identitiesonly', 'identitiesOnly'],
  ['identityagent', 'identityAgent'],
  ['hostkeyalias', 'hostKeyAlias'],
  ['proxyjump', 'proxyJump'],
  ['proxycommand', 'proxyCommand'],
  ['bindaddress', 'bindAddress'],
  ['connecttimeout', 'connectTimeout'],
  ['serveraliveinterval', 'serverAliveInterval'],
  ['serveralivecountmax', 'serverAliveCountMax'],
] as const;

function toSettings(found: RawSettings): SshSettings {
  const settings: SshSettings = {
    identityFiles: (found.list.get('identityfile') ?? []).filter((f) => f !== 'none'),
    certificateFiles: (found.list.get('certificatefile') ?? []).filter((f) => f !== 'none'),
    skippedExec: found.skippedExec,
    errors: found.errors,
  };
  for (const [directive, key] of directives) {
    const value = found.single.get(directive);
    if (value !== undefined) settings[key] = value;
  }
  const knownHosts = found.list.get('userknownhostsfile');
  if (knownHosts !== undefined) settings.userKnownHostsFiles = knownHosts;
  return settings;
}

// OpenSSH's time format (convtime): integers with optional units, summed: `90`, `1m30s`, `1h`, `2d`. Seconds,
// or undefined when it is not one (Convoy's own `2.5s` and `500ms` are then tried).
export function sshSeconds(value: string): number | undefined {
  if (!/^(\d+[smhdw]?)+$/i.test(value)) return undefined;
  const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  let total = 0;
  for (const [, n, u] of value.matchAll(/(\d+)([smhdw]?)/gi)) total += Number(n) * (unit[(u ?? '').toLowerCase()] ?? 1);
  return total;
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
