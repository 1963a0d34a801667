// Evaluates ssh_config for one name as `ssh NAME` does (readconf.c): Include, Host, Match, first value wins.
import path from 'node:path';
import { hostLineMatches, matchPatternList, parseConfigLines } from './ssh-config-lines.ts';
import type { ConfigLine } from './ssh-config-lines.ts';

// What evaluation may touch, injected so parsing stays testable: files, globbing, and running `Match exec`.
export interface SshConfigIo {
  /** The home from the password database, as OpenSSH takes it: `~` and relative `Include` paths. */
  homeDir: string;
  /** The local login (`Match localuser`, `%u`). */
  localUser: string;
  /** The text of a file, undefined when it does not exist. */
  read(file: string): string | undefined;
  /** Files matching a glob pattern, sorted (glob(3) order); none when nothing matches. */
  glob(pattern: string): string[];
  /** Runs a `Match exec` command; true when it exits 0. Absent: the command is not run and does not match. */
  exec?: ((command: string) => boolean) | undefined;
}

// Directives whose first value wins, and how the value is taken from the line.
const firstWins: Record<string, 'word' | 'words' | 'rest'> = {
  hostname: 'word',
  user: 'word',
  port: 'word',
  identitiesonly: 'word',
  identityagent: 'word',
  userknownhostsfile: 'words',
  hostkeyalias: 'word',
  bindaddress: 'word',
  connecttimeout: 'word',
  serveraliveinterval: 'word',
  serveralivecountmax: 'word',
};
// Directives every active line adds to.
const accumulated = new Set(['identityfile', 'certificatefile']);
const maxIncludeDepth = 16;

// Raw values, as written (tokens and `~` not expanded), keyed by lower-case directive.
export interface RawSettings {
  single: Map<string, string>;
  list: Map<string, string[]>;
  /** `Match exec` commands met while evaluating that were not run (no exec was given). */
  skippedExec: string[];
  errors: string[];
}

interface Walk {
  original: string;
  io: SshConfigIo;
  found: RawSettings;
  /** The file being evaluated is a system one: relative Includes are under /etc/ssh. */
  system: boolean;
}

// Evaluates the user's file, then the system file, for `name`; the first value of each directive wins.
export function evaluateSshConfig(
  name: string,
  files: { user?: string | undefined; system?: string | undefined },
  io: SshConfigIo,
): RawSettings {
  const found: RawSettings = { single: new Map(), list: new Map(), skippedExec: [], errors: [] };
  if (files.user !== undefined) readFile({ original: name, io, found, system: false }, files.user, true, false, 0);
  if (files.system !== undefined) readFile({ original: name, io, found, system: true }, files.system, true, false, 0);
  return found;
}

// A config file starts active (settings before the first Host apply to every name); neverMatch for an Include
// met in an inactive block, whose file then applies to nothing.
function readFile(walk: Walk, file: string, active: boolean, neverMatch: boolean, depth: number): void {
  const text = walk.io.read(file);
  if (text === undefined) return;
  const { lines, errors } = parseConfigLines(text, file);
  walk.found.errors.push(...errors);
  let on = active;
  for (const line of lines) {
    if (line.keyword === 'host') on = !neverMatch && hostLineMatches(walk.original, line.args);
    else if (line.keyword === 'match') on = !neverMatch && matchLine(walk, line);
    else if (line.keyword === 'include') include(walk, line, on, depth);
    else if (on) apply(walk.found, line);
  }
}

function apply(found: RawSettings, line: ConfigLine): void {
  const { keyword, args } = line;
  if (accumulated.has(keyword)) {
    found.list.set(keyword, [...(found.list.get(keyword) ?? []), args[0] ?? '']);
    return;
  }
  // ProxyJump and ProxyCommand exclude each other: whichever comes first wins (ssh -G shows only that one).
  if (keyword === 'proxyjump' || keyword === 'proxycommand') {
    if (!found.single.has('proxyjump') && !found.single.has('proxycommand'))
      found.single.set(keyword, keyword === 'proxyjump' ? (args[0] ?? '') : line.rest);
    return;
  }
  const how = firstWins[keyword];
  if (how === undefined || found.single.has(keyword)) return;
  found.single.set(keyword, how === 'word' ? (args[0] ?? '') : how === 'words' ? args.join(' ') : line.rest);
  if (how === 'words') found.list.set(keyword, args);
}

// Include: relative paths live in ~/.ssh (user config) or /etc/ssh (system config); each glob match is read in
// turn, in the state of the block the Include is in.
function include(walk: Walk, line: ConfigLine, active: boolean, depth: number): void {
  if (depth >= maxIncludeDepth) {
    walk.found.errors.push(`${line.file}:${line.line}: Include nested more than ${maxIncludeDepth} deep`);
    return;
  }
  for (const arg of line.args) {
    let pattern = arg;
    if (!arg.startsWith('/') && !arg.startsWith('~')) pattern = walk.system ? `/etc/ssh/${arg}` : `~/.ssh/${arg}`;
    if (pattern === '~' || pattern.startsWith('~/')) pattern = path.join(walk.io.homeDir, pattern.slice(1));
    for (const file of walk.io.glob(pattern)) readFile(walk, file, active, !active, depth + 1);
  }
}

// A Match line (match_cfg_line): every criterion must hold; `!` negates one; exec runs only while all before held.
function matchLine(walk: Walk, line: ConfigLine): boolean {
  const { found, io, original } = walk;
  const hostName = found.single.get('hostname');
  const host = hostName === undefined ? original : hostName.replaceAll('%h', original);
  const user = found.single.get('user') ?? io.localUser;
  let result = true;
  const args = [...line.args];
  while (args.length > 0) {
    const raw = args.shift() ?? '';
    const negate = raw.startsWith('!');
    const attribute = (negate ? raw.slice(1) : raw).toLowerCase();
    if (attribute === 'all') continue;
    // Canonicalization is not done and there is no final pass: these never hold.
    if (attribute === 'canonical' || attribute === 'final') {
      if (!negate) result = false;
      continue;
    }
    const value = args.shift();
    if (value === undefined) {
      found.errors.push(`${line.file}:${line.line}: Match ${attribute} needs an argument`);
      return false;
    }
    const holds = criterion(walk, attribute, value, { host, user, result });
    if (holds === undefined) {
      found.errors.push(`${line.file}:${line.line}: unsupported Match criterion '${attribute}'`);
      return false;
    }
    if (holds === negate) result = false;
  }
  return result;
}

// One criterion; undefined when unknown. exec is skipped (and fails) once an earlier criterion failed.
function criterion(
  walk: Walk,
  attribute: string,
  value: string,
  now: { host: string; user: string; result: boolean },
): boolean | undefined {
  const { io, original } = walk;
  switch (attribute) {
    case 'host':
      return matchPatternList(now.host.toLowerCase(), value, true);
    case 'originalhost':
      return matchPatternList(original.toLowerCase(), value, true);
    case 'user':
      return matchPatternList(now.user, value, false);
    case 'localuser':
      return matchPatternList(io.localUser, value, false);
    case 'exec':
      return now.result ? runExec(walk, value, now) : false;
    default:
      return undefined;
  }
}

function runExec(walk: Walk, command: string, now: { host: string; user: string }): boolean {
  const { io, found, original } = walk;
  const port = found.single.get('port') ?? '22';
  const tokens: Record<string, string> = {
    h: now.host,
    n: original,
    p: port,
    r: now.user,
    u: io.localUser,
    d: io.homeDir,
    k: found.single.get('hostkeyalias') ?? now.host,
  };
  const expanded = command.replace(/%(.)/g, (all, letter: string) => (letter === '%' ? '%' : (tokens[letter] ?? all)));
  if (!io.exec) {
    found.skippedExec.push(expanded);
    return false;
  }
  return io.exec(expanded);
}
