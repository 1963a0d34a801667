// Stage 4: one HostConfig per host: [defaults] < groups < [host:…], then ssh config beneath, then jumps resolved.
import path from 'node:path';
import { expandHome } from './paths.ts';
import type { Layer, Located, Model } from './normalise.ts';
import type { Problem } from './problems.ts';
import type { Membership } from './rules.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';
import { connectTimeoutRange, parseBindAddress, parsePort, serverAliveIntervalRange } from './settings.ts';
import type { SettingName, SettingValues } from './settings.ts';
import { expandTokens, parseProxyJump, sshSeconds } from './ssh-config.ts';
import type { JumpHop, SshConfigSource, SshSettings } from './ssh-config.ts';
import type { HostConfig } from './types.ts';

// Everything resolution needs; the ssh config source is injected so tests pass text, not files.
export interface ResolveInput {
  file: string;
  model: Model;
  membership: Membership;
  ssh: SshConfigSource;
  homeDir: string;
  defaultUser: string;
  /** The local login, ssh config's `%u`. */
  localUser: string;
  /** `--bind-address`, already checked: wins over the inventory's bind_address and ssh config's BindAddress. */
  bindAddress?: string | undefined;
}

type Settings = { [K in SettingName]?: Located<SettingValues[K]> };

// A host before its jump is known: what the inventory and ssh config say about it alone.
interface Base {
  config: HostConfig;
  jump?: Located<string | null>;
  proxyJump?: string;
  lookupKey: string;
}

// How a host on the resolution stack reached its jump: an inventory `jump` line, or ssh config's ProxyJump.
type Edge = { kind: 'inventory'; at: Located<string | null> } | { kind: 'ssh' };

interface Frame {
  node: string;
  label: string;
  edge: Edge;
}

// ConnectTimeout and ServerAlive* from ssh config, as OpenSSH reads them (seconds, or a time with a unit).
function sshTimeouts(found: SshSettings, problem: (directive: string, raw: string, expected: string) => void) {
  const out: { connectTimeoutMs?: number; serverAliveIntervalMs?: number; serverAliveCountMax?: number } = {};
  const time = (raw: string) => String(sshSeconds(raw) ?? raw);
  if (found.connectTimeout !== undefined) {
    const ms = parseDuration(time(found.connectTimeout), connectTimeoutRange);
    if (ms === undefined) problem('ConnectTimeout', found.connectTimeout, expectedDuration(connectTimeoutRange));
    else out.connectTimeoutMs = ms;
  }
  if (found.serverAliveInterval !== undefined) {
    const ms = parseDuration(time(found.serverAliveInterval), serverAliveIntervalRange);
    if (ms === undefined)
      problem('ServerAliveInterval', found.serverAliveInterval, expectedDuration(serverAliveIntervalRange));
    else out.serverAliveIntervalMs = ms;
  }
  if (found.serverAliveCountMax !== undefined) {
    const n = Number(found.serverAliveCountMax);
    if (!/^\d+$/.test(found.serverAliveCountMax) || n < 1 || n > 100)
      problem('ServerAliveCountMax', found.serverAliveCountMax, 'an integer from 1 to 100');
    else out.serverAliveCountMax = n;
  }
  return out;
}

// What every step of resolution reads, and the problems it has found so far.
interface Context extends ResolveInput {
  hostNames: Set<string>;
  problems: Problem[];
}

// What the inventory and ssh config each say about one host, before they are merged.
interface Sources {
  /** Only what the inventory wrote. */
  settings: Settings;
  found: SshSettings;
  /** The name ssh config is searched for: the inventory's `address`, else the host's name. */
  lookupKey: string;
}

// Jump resolution under way: each node's result once known, hosts outside the inventory, the chain being followed.
interface Jumps {
  context: Context;
  bases: Map<string, Base>;
  done: Map<string, HostConfig>;
  externals: Map<string, Base>;
  stack: Frame[];
}

// Every inventory host, in file order, with its jump chain; problems (ssh config values, jump cycles) are collected.
export function resolveHosts(input: ResolveInput): { hosts: HostConfig[]; problems: Problem[] } {
  const context: Context = { ...input, hostNames: new Set(input.model.hostOrder), problems: [] };
  const jumps: Jumps = { context, bases: inventoryBases(context), done: new Map(), externals: new Map(), stack: [] };
  const hosts = input.model.hostOrder
    .map((name) => inventoryHost(jumps, name))
    .filter((h): h is HostConfig => h !== undefined);
  return { hosts, problems: context.problems };
}

function sshProblem(context: Context, message: string): void {
  context.problems.push({ file: context.ssh.file, message });
}

// ssh config beneath what the inventory set; `settings` holds only what the inventory wrote.
function applySsh(
  context: Context,
  name: string,
  settings: Settings,
  lookupKey: string,
): { config: HostConfig; found: SshSettings } {
  const sources: Sources = { settings, found: context.ssh.lookup(lookupKey), lookupKey };
  const { found } = sources;
  for (const error of found.errors) sshProblem(context, error);
  const port = sshPort(context, sources);
  // ssh lowercases the name it connects to (and looks up in known_hosts).
  const address =
    settings.address?.value ??
    (found.hostName === undefined ? lookupKey : expandTokens(found.hostName, { h: lookupKey }).toLowerCase());
  const user = settings.user?.value ?? found.user ?? context.defaultUser;
  const tokens = { d: context.homeDir, u: context.localUser, h: address, r: user, p: String(port), n: lookupKey };
  const config: HostConfig = {
    name,
    address,
    port,
    user,
    identityFiles: identityFiles(context, sources, tokens),
    sudo: settings.sudo?.value ?? false,
    vars: {},
    groups: [],
  };
  if (settings.supervisor_conf) config.supervisorConf = settings.supervisor_conf.value;
  if (settings.known_hosts) config.knownHosts = settings.known_hosts.value;
  if (settings.fanout) config.fanout = settings.fanout.value;
  if (settings.relay) config.relay = settings.relay.value;
  if (settings.transport?.value === 'openssh') {
    config.transport = 'openssh';
    config.sshName = lookupKey;
  }
  setTimeouts(context, config, sources);
  setConnection(context, config, found, tokens);
  setBindAddress(context, config, sources);
  return { config, found };
}

// The directives of ssh config that change how Convoy connects and authenticates, expanded as ssh expands them.
function setConnection(context: Context, config: HostConfig, found: SshSettings, tokens: Record<string, string>) {
  const file = (f: string) => (f === 'none' ? f : expandTokens(expandHome(f, context.homeDir), tokens));
  if (found.identitiesOnly !== undefined) {
    const value = found.identitiesOnly.toLowerCase();
    if (value === 'yes' || value === 'true') config.identitiesOnly = true;
    else if (value === 'no' || value === 'false') config.identitiesOnly = false;
    else
      sshProblem(
        context,
        `Host '${tokens.n}': IdentitiesOnly '${found.identitiesOnly}' is not valid (expected yes or no)`,
      );
  }
  const agent = found.identityAgent;
  if (agent !== undefined)
    config.identityAgent = agent === 'SSH_AUTH_SOCK' || agent.startsWith('$') ? agent : file(agent);
  if (found.userKnownHostsFiles) config.userKnownHostsFiles = found.userKnownHostsFiles.map(file);
  if (found.hostKeyAlias !== undefined) config.hostKeyAlias = found.hostKeyAlias;
  if (found.proxyJump !== undefined) config.proxyJump = found.proxyJump;
  if (found.proxyCommand !== undefined) config.proxyCommand = found.proxyCommand;
  if (found.certificateFiles.length > 0) config.certificateFiles = found.certificateFiles.map(file);
}

// As OpenSSH's -b over BindAddress: --bind-address, else the inventory's bind_address, else ssh config's BindAddress
// (checked only when it is the one used, since a flag or the inventory replaces it).
function setBindAddress(context: Context, config: HostConfig, { settings, found, lookupKey }: Sources): void {
  let value = context.bindAddress ?? settings.bind_address?.value;
  if (value === undefined && found.bindAddress !== undefined) {
    const parsed = parseBindAddress(found.bindAddress);
    if ('error' in parsed) sshProblem(context, `Host '${lookupKey}': BindAddress ${parsed.error}`);
    else value = parsed.value;
  }
  if (value !== undefined) config.bindAddress = value;
}

// The inventory's port, else ssh config's Port when it is valid, else 22.
function sshPort(context: Context, { settings, found, lookupKey }: Sources): number {
  let port = settings.port?.value;
  if (port === undefined && found.port !== undefined) {
    const parsed = parsePort(found.port);
    if ('error' in parsed) sshProblem(context, `Host '${lookupKey}': Port ${parsed.error}`);
    else port = parsed.value;
  }
  return port ?? 22;
}

// The inventory's identity first, then ssh config's IdentityFile lines with ~ and %-tokens expanded, each once.
function identityFiles(context: Context, { settings, found }: Sources, tokens: Record<string, string>): string[] {
  const fromSsh = found.identityFiles.map((f) => path.resolve(expandTokens(expandHome(f, context.homeDir), tokens)));
  return [...new Set([...(settings.identity ? [settings.identity.value] : []), ...fromSsh])];
}

// Each timeout from the inventory, else from ssh config; absent when neither sets it.
function setTimeouts(context: Context, config: HostConfig, { settings, found, lookupKey }: Sources): void {
  const timeouts = sshTimeouts(found, (directive, raw, expected) =>
    sshProblem(context, `Host '${lookupKey}': ${directive} '${raw}' is not valid (expected ${expected})`),
  );
  const connectTimeoutMs = settings.connect_timeout?.value ?? timeouts.connectTimeoutMs;
  const serverAliveIntervalMs = settings.server_alive_interval?.value ?? timeouts.serverAliveIntervalMs;
  const serverAliveCountMax = settings.server_alive_count_max?.value ?? timeouts.serverAliveCountMax;
  if (connectTimeoutMs !== undefined) config.connectTimeoutMs = connectTimeoutMs;
  if (serverAliveIntervalMs !== undefined) config.serverAliveIntervalMs = serverAliveIntervalMs;
  if (serverAliveCountMax !== undefined) config.serverAliveCountMax = serverAliveCountMax;
  if (settings.step_timeout !== undefined) config.stepTimeoutMs = settings.step_timeout.value;
}

// Every inventory host before its jump is resolved, in file order (so ssh config problems come in that order).
function inventoryBases(context: Context): Map<string, Base> {
  const { model, membership } = context;
  const sections = new Map(model.hosts.map((h) => [h.name, h]));
  const groupOrder = model.groups.map((g) => g.name);
  const bases = new Map<string, Base>();
  for (const name of model.hostOrder) {
    const groups = membership.groupsOf.get(name) ?? new Set<string>();
    const section = sections.get(name);
    const layers: Layer[] = [
      ...(model.defaults ? [model.defaults] : []),
      ...membership.precedence.filter((g) => groups.has(g.name)).map((g) => g.layer),
      ...(section ? [section.layer] : []),
    ];
    bases.set(
      name,
      inventoryBase(
        context,
        name,
        layers,
        groupOrder.filter((g) => groups.has(g)),
      ),
    );
  }
  return bases;
}

// One host from its layers, lowest first: later settings and variables win.
function inventoryBase(context: Context, name: string, layers: readonly Layer[], groups: string[]): Base {
  const settings: Settings = Object.assign({}, ...layers.map((l) => l.settings)) as Settings;
  const lookupKey = settings.address?.value ?? name;
  const { config, found } = applySsh(context, name, settings, lookupKey);
  for (const layer of layers) for (const [key, v] of layer.vars) config.vars[key] = v.value;
  config.groups = groups;
  const base: Base = { config, lookupKey };
  // The inventory's `jump` (even `none`) replaces how ssh config reaches the host: ProxyJump and ProxyCommand.
  if (settings.jump) {
    base.jump = settings.jump;
    delete config.proxyCommand;
  } else if (found.proxyJump !== undefined) base.proxyJump = found.proxyJump;
  return base;
}

// A jump host outside the inventory: its own ssh config first, then the connection settings of [defaults].
function externalBase(context: Context, host: string): Base {
  const defaults = context.model.defaults?.settings ?? {};
  const found = context.ssh.lookup(host);
  const settings: Settings = {};
  if (found.user === undefined && defaults.user) settings.user = defaults.user;
  if (found.port === undefined && defaults.port) settings.port = defaults.port;
  if (defaults.identity) settings.identity = defaults.identity;
  if (defaults.known_hosts) settings.known_hosts = defaults.known_hosts;
  if (defaults.connect_timeout) settings.connect_timeout = defaults.connect_timeout;
  if (defaults.server_alive_interval) settings.server_alive_interval = defaults.server_alive_interval;
  if (defaults.server_alive_count_max) settings.server_alive_count_max = defaults.server_alive_count_max;
  if (defaults.bind_address) settings.bind_address = defaults.bind_address;
  const base: Base = { config: applySsh(context, host, settings, host).config, lookupKey: host };
  if (found.proxyJump !== undefined) base.proxyJump = found.proxyJump;
  return base;
}

function inventoryHost(jumps: Jumps, name: string): HostConfig | undefined {
  const base = jumps.bases.get(name);
  return base && withOwnJump(jumps, `inv:${name}`, base);
}

function externalHost(jumps: Jumps, host: string): HostConfig | undefined {
  const base = jumps.externals.get(host) ?? externalBase(jumps.context, host);
  jumps.externals.set(host, base);
  return withOwnJump(jumps, `ext:${host}`, base);
}

// Resolves `base`'s own jump with `node` on the stack; undefined when that closes a cycle.
function withOwnJump(jumps: Jumps, node: string, base: Base): HostConfig | undefined {
  const known = jumps.done.get(node);
  if (known) return known;
  const onStack = jumps.stack.findIndex((f) => f.node === node);
  if (onStack !== -1) {
    reportCycle(jumps, onStack, base.config.name);
    return undefined;
  }
  const config = { ...base.config };
  const edge = edgeOf(base);
  if (edge) {
    jumps.stack.push({ node, label: config.name, edge });
    const jump = ownJump(jumps, base);
    jumps.stack.pop();
    if (jump) config.jump = jump;
  }
  jumps.done.set(node, config);
  return config;
}

function edgeOf(base: Base): Edge | undefined {
  if (base.jump) return { kind: 'inventory', at: base.jump };
  return base.proxyJump !== undefined ? { kind: 'ssh' } : undefined;
}

// The inventory's `jump` (none, or a host it does not have, is no jump), else ssh config's ProxyJump.
function ownJump(jumps: Jumps, base: Base): HostConfig | undefined {
  if (!base.jump) return proxyJump(jumps, base.proxyJump ?? 'none', base.lookupKey);
  const target = base.jump.value;
  return target !== null && jumps.context.hostNames.has(target) ? inventoryHost(jumps, target) : undefined;
}

function reportCycle(jumps: Jumps, from: number, closing: string): void {
  // The same cycle met from another host rotates to the same text, and identical problems are printed once.
  const rotated = rotateToFirstHost(jumps.stack.slice(from), jumps.context.model.hostOrder);
  const names = [...rotated.map((f) => f.label), rotated[0]?.label ?? closing].join(' -> ');
  const located = rotated.find((f) => f.edge.kind === 'inventory')?.edge;
  if (located?.kind !== 'inventory') {
    sshProblem(jumps.context, `ProxyJump cycle ${names}`);
    return;
  }
  jumps.context.problems.push({
    file: jumps.context.file,
    line: located.at.line,
    section: located.at.section,
    key: 'jump',
    message: `cycle ${names}${selfJumpHint(rotated, located.at)}`,
  });
}

// A cycle of frames, turned to start at the inventory host that comes first in the file (outside hosts count last).
export function rotateToFirstHost<F extends Pick<Frame, 'node' | 'label'>>(
  loop: readonly F[],
  hostOrder: readonly string[],
): F[] {
  const orderOf = (frame: F): number =>
    frame.node.startsWith('inv:') ? hostOrder.indexOf(frame.label) : Number.MAX_SAFE_INTEGER;
  const first = loop.reduce((best, f, i) => (orderOf(f) < orderOf(loop[best] ?? f) ? i : best), 0);
  return [...loop.slice(first), ...loop.slice(0, first)];
}

// A host whose jump, set in a group or [defaults], is itself: say how to turn it off for that host.
function selfJumpHint(rotated: readonly Frame[], at: Located<string | null>): string {
  const only = rotated.length === 1 ? rotated[0] : undefined;
  return only && at.section !== `host:${only.label}`
    ? ` (a host cannot jump through itself; set jump = none in [host:${only.label}])`
    : '';
}

// ProxyJump a,b: the first hop keeps its own jump, each later hop jumps through the one before it.
function proxyJump(jumps: Jumps, value: string, forName: string): HostConfig | undefined {
  const parsed = parseProxyJump(value);
  if (parsed === null) return undefined;
  if ('error' in parsed) {
    sshProblem(jumps.context, `Host '${forName}': ${parsed.error}`);
    return undefined;
  }
  let previous: HostConfig | undefined;
  for (const [i, hop] of parsed.hops.entries()) {
    const config = i === 0 ? firstHop(jumps, hop.host) : laterHop(jumps, hop.host, previous);
    if (!config) return undefined;
    previous = override(config, hop);
  }
  return previous;
}

function firstHop(jumps: Jumps, host: string): HostConfig | undefined {
  return jumps.context.hostNames.has(host) ? inventoryHost(jumps, host) : externalHost(jumps, host);
}

function laterHop(jumps: Jumps, host: string, previous: HostConfig | undefined): HostConfig | undefined {
  const base = jumps.context.hostNames.has(host)
    ? jumps.bases.get(host)
    : (jumps.externals.get(host) ?? externalBase(jumps.context, host));
  return base && setJump({ ...base.config }, previous);
}

function setJump(config: HostConfig, jump: HostConfig | undefined): HostConfig {
  if (jump) config.jump = jump;
  else delete config.jump;
  return config;
}

// `admin@bastion:2222` in a ProxyJump beats what the inventory or ssh config says about bastion.
function override(config: HostConfig, hop: JumpHop): HostConfig {
  if (hop.user === undefined && hop.port === undefined) return config;
  return { ...config, user: hop.user ?? config.user, port: hop.port ?? config.port };
}
