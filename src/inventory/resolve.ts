// Stage 4: one HostConfig per host: [defaults] < groups < [host:…], then ssh config beneath, then jumps resolved.
import path from 'node:path';
import { expandHome } from './paths.ts';
import type { Layer, Located, Model } from './normalise.ts';
import type { Problem } from './problems.ts';
import type { Membership } from './rules.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';
import { connectTimeoutRange, parsePort, serverAliveIntervalRange } from './settings.ts';
import type { SettingName, SettingValues } from './settings.ts';
import { expandTokens, parseProxyJump } from './ssh-config.ts';
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
  if (found.connectTimeout !== undefined) {
    const ms = parseDuration(found.connectTimeout, connectTimeoutRange);
    if (ms === undefined) problem('ConnectTimeout', found.connectTimeout, expectedDuration(connectTimeoutRange));
    else out.connectTimeoutMs = ms;
  }
  if (found.serverAliveInterval !== undefined) {
    const ms = parseDuration(found.serverAliveInterval, serverAliveIntervalRange);
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

// Every inventory host, in file order, with its jump chain; problems (ssh config values, jump cycles) are collected.
export function resolveHosts(input: ResolveInput): { hosts: HostConfig[]; problems: Problem[] } {
  const { model, membership, ssh, homeDir, defaultUser, file } = input;
  const problems: Problem[] = [];
  const sshProblem = (message: string): void => {
    problems.push({ file: ssh.file, message });
  };
  const hostNames = new Set(model.hostOrder);
  const hostSections = new Map(model.hosts.map((h) => [h.name, h]));
  const groupOrder = model.groups.map((g) => g.name);

  // ssh config beneath what the inventory set; `settings` holds only what the inventory wrote.
  const applySsh = (
    name: string,
    settings: Settings,
    lookupKey: string,
  ): { config: HostConfig; found: SshSettings } => {
    const found = ssh.lookup(lookupKey);
    let port = settings.port?.value;
    if (port === undefined && found.port !== undefined) {
      const parsed = parsePort(found.port);
      if ('error' in parsed) sshProblem(`Host '${lookupKey}': Port ${parsed.error}`);
      else port = parsed.value;
    }
    const address =
      settings.address?.value ??
      (found.hostName === undefined ? lookupKey : expandTokens(found.hostName, { h: lookupKey, n: lookupKey }));
    const user = settings.user?.value ?? found.user ?? defaultUser;
    const finalPort = port ?? 22;
    const tokens = { d: homeDir, u: defaultUser, h: address, r: user, p: String(finalPort), n: lookupKey };
    const fromSsh = found.identityFiles.map((f) => path.resolve(expandTokens(expandHome(f, homeDir), tokens)));
    const identityFiles = [...new Set([...(settings.identity ? [settings.identity.value] : []), ...fromSsh])];
    const config: HostConfig = {
      name,
      address,
      port: finalPort,
      user,
      identityFiles,
      sudo: settings.sudo?.value ?? false,
      vars: {},
      groups: [],
    };
    if (settings.supervisor_conf) config.supervisorConf = settings.supervisor_conf.value;
    if (settings.known_hosts) config.knownHosts = settings.known_hosts.value;
    const timeouts = sshTimeouts(found, (directive, raw, expected) =>
      sshProblem(`Host '${lookupKey}': ${directive} '${raw}' is not valid (expected ${expected})`),
    );
    const connectTimeoutMs = settings.connect_timeout?.value ?? timeouts.connectTimeoutMs;
    const serverAliveIntervalMs = settings.server_alive_interval?.value ?? timeouts.serverAliveIntervalMs;
    const serverAliveCountMax = settings.server_alive_count_max?.value ?? timeouts.serverAliveCountMax;
    if (connectTimeoutMs !== undefined) config.connectTimeoutMs = connectTimeoutMs;
    if (serverAliveIntervalMs !== undefined) config.serverAliveIntervalMs = serverAliveIntervalMs;
    if (serverAliveCountMax !== undefined) config.serverAliveCountMax = serverAliveCountMax;
    return { config, found };
  };

  const bases = new Map<string, Base>();
  for (const name of model.hostOrder) {
    const groups = membership.groupsOf.get(name) ?? new Set<string>();
    const section = hostSections.get(name);
    const layers: Layer[] = [
      ...(model.defaults ? [model.defaults] : []),
      ...membership.precedence.filter((g) => groups.has(g.name)).map((g) => g.layer),
      ...(section ? [section.layer] : []),
    ];
    const settings: Settings = Object.assign({}, ...layers.map((l) => l.settings)) as Settings;
    const lookupKey = settings.address?.value ?? name;
    const { config, found } = applySsh(name, settings, lookupKey);
    for (const layer of layers) for (const [key, v] of layer.vars) config.vars[key] = v.value;
    config.groups = groupOrder.filter((g) => groups.has(g));
    const base: Base = { config, lookupKey };
    if (settings.jump) base.jump = settings.jump;
    else if (found.proxyJump !== undefined) base.proxyJump = found.proxyJump;
    bases.set(name, base);
  }

  // A jump host outside the inventory: its own ssh config first, then the connection settings of [defaults].
  const externalBase = (host: string): Base => {
    const defaults = model.defaults?.settings ?? {};
    const found = ssh.lookup(host);
    const settings: Settings = {};
    if (found.user === undefined && defaults.user) settings.user = defaults.user;
    if (found.port === undefined && defaults.port) settings.port = defaults.port;
    if (defaults.identity) settings.identity = defaults.identity;
    if (defaults.known_hosts) settings.known_hosts = defaults.known_hosts;
    if (defaults.connect_timeout) settings.connect_timeout = defaults.connect_timeout;
    if (defaults.server_alive_interval) settings.server_alive_interval = defaults.server_alive_interval;
    if (defaults.server_alive_count_max) settings.server_alive_count_max = defaults.server_alive_count_max;
    const base: Base = { config: applySsh(host, settings, host).config, lookupKey: host };
    if (found.proxyJump !== undefined) base.proxyJump = found.proxyJump;
    return base;
  };

  const done = new Map<string, HostConfig>();
  const externals = new Map<string, Base>();
  const stack: Frame[] = [];
  const orderOf = (frame: Frame): number =>
    frame.node.startsWith('inv:') ? model.hostOrder.indexOf(frame.label) : Number.MAX_SAFE_INTEGER;

  const reportCycle = (from: number, closing: string): void => {
    // The same cycle met from another host rotates to the same text, and identical problems are printed once.
    const loop = stack.slice(from);
    const first = loop.reduce((best, f, i) => (orderOf(f) < orderOf(loop[best] ?? f) ? i : best), 0);
    const rotated = [...loop.slice(first), ...loop.slice(0, first)];
    const names = [...rotated.map((f) => f.label), rotated[0]?.label ?? closing].join(' -> ');
    const located = rotated.find((f) => f.edge.kind === 'inventory')?.edge;
    if (located?.kind !== 'inventory') {
      sshProblem(`ProxyJump cycle ${names}`);
      return;
    }
    const only = rotated.length === 1 ? rotated[0] : undefined;
    const hint =
      only && located.at.section !== `host:${only.label}`
        ? ` (a host cannot jump through itself; set jump = none in [host:${only.label}])`
        : '';
    problems.push({
      file,
      line: located.at.line,
      section: located.at.section,
      key: 'jump',
      message: `cycle ${names}${hint}`,
    });
  };

  // Resolves `base`'s own jump with `node` on the stack; undefined when that closes a cycle.
  const withOwnJump = (node: string, base: Base): HostConfig | undefined => {
    const known = done.get(node);
    if (known) return known;
    const onStack = stack.findIndex((f) => f.node === node);
    if (onStack !== -1) {
      reportCycle(onStack, base.config.name);
      return undefined;
    }
    const config = { ...base.config };
    const edge: Edge | undefined = base.jump
      ? { kind: 'inventory', at: base.jump }
      : base.proxyJump !== undefined
        ? { kind: 'ssh' }
        : undefined;
    if (edge) {
      stack.push({ node, label: config.name, edge });
      const jump = base.jump
        ? base.jump.value !== null && hostNames.has(base.jump.value)
          ? inventoryHost(base.jump.value)
          : undefined
        : proxyJump(base.proxyJump ?? 'none', base.lookupKey);
      stack.pop();
      if (jump) config.jump = jump;
    }
    done.set(node, config);
    return config;
  };

  const inventoryHost = (name: string): HostConfig | undefined => {
    const base = bases.get(name);
    return base && withOwnJump(`inv:${name}`, base);
  };

  const externalHost = (host: string): HostConfig | undefined => {
    const base = externals.get(host) ?? externalBase(host);
    externals.set(host, base);
    return withOwnJump(`ext:${host}`, base);
  };

  // ProxyJump a,b: the first hop keeps its own jump, each later hop jumps through the one before it.
  const proxyJump = (value: string, forName: string): HostConfig | undefined => {
    const parsed = parseProxyJump(value);
    if (parsed === null) return undefined;
    if ('error' in parsed) {
      sshProblem(`Host '${forName}': ${parsed.error}`);
      return undefined;
    }
    let previous: HostConfig | undefined;
    for (const [i, hop] of parsed.hops.entries()) {
      const inInventory = hostNames.has(hop.host);
      let config: HostConfig | undefined;
      if (i === 0) config = inInventory ? inventoryHost(hop.host) : externalHost(hop.host);
      else {
        const base = inInventory ? bases.get(hop.host) : (externals.get(hop.host) ?? externalBase(hop.host));
        config = base && setJump({ ...base.config }, previous);
      }
      if (!config) return undefined;
      previous = override(config, hop);
    }
    return previous;
  };

  const hosts = model.hostOrder.map((name) => inventoryHost(name)).filter((h): h is HostConfig => h !== undefined);
  return { hosts, problems };
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
