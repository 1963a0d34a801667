// Stage 2: raw sections to typed [defaults], [host:…] and [group:…] sections; each entry is checked once, here.
import { checkName, checkVariableName, splitList } from './names.ts';
import type { Problem } from './problems.ts';
import type { RawEntry, RawSection } from './parse.ts';
import { expandRange } from './ranges.ts';
import { isSetting, isStructural, parseSetting, settingNames, structuralKeys } from './settings.ts';
import type { SettingName, SettingValues } from './settings.ts';
import { closest } from './suggest.ts';
import type { NotifySettings } from './webhooks.ts';
import { defaultsOnlyKeys, isDefaultsOnly, parseNotifyList, parseNotifyTimeout } from './webhooks.ts';
import { parsePersist, persistKey } from './persist.ts';

// A checked value and where it was written, so later stages can point at the line.
export interface Located<T> {
  value: T;
  line: number;
  /** Header text without brackets (`group:web`). */
  section: string;
  key: string;
}

// The settings and variables one section contributes to its hosts.
export interface Layer {
  section: string;
  settings: { [K in SettingName]?: Located<SettingValues[K]> };
  vars: Map<string, Located<string>>;
}

// A [host:NAME] section: the top layer of that host's settings.
export interface HostSection {
  name: string;
  line: number;
  layer: Layer;
}

// A [group:NAME] section: its own members as written, and the layer it gives them.
export interface GroupSection {
  name: string;
  line: number;
  layer: Layer;
  hosts: string[];
  children: string[];
  childrenLine?: number;
  /** Its hosts or children had problems already, so "empty group" would only repeat them. */
  flawed: boolean;
}

// The file once every section is checked on its own; cross-references are the next stage's job.
export interface Model {
  defaults?: Layer;
  hosts: HostSection[];
  groups: GroupSection[];
  /** Every host name in the order it first appears (a [host:…] header or a group's `hosts`). */
  hostOrder: string[];
  /** `notify` and `notify_timeout` of [defaults]. */
  notify?: NotifySettings;
  /** `persist` of [defaults], in ms; absent when unset or `no`. */
  persistMs?: number;
}

const sectionKinds = ['defaults', 'host', 'group'];

// What normalising carries from one section to the next.
interface Context {
  file: string;
  where: { baseDir: string; homeDir: string };
  model: Model;
  problems: Problem[];
  /** Line of the first header of each section (`defaults`, `host:a`), to name it when one is repeated. */
  firstLine: Map<string, number>;
  seenHosts: Set<string>;
}

type Report = (message: string, key?: string, line?: number) => void;

// One section being read: where its values go and how its problems are reported.
interface SectionReader {
  header: string;
  layer: Layer;
  group: GroupSection | undefined;
  /** Line of each key already set in this section. */
  seenKeys: Map<string, number>;
  where: Context['where'];
  at: Report;
  addHost: (name: string) => void;
  /** Where [defaults]' notification keys go (absent in other sections: there they are refused). */
  notify: NotifySettings | undefined;
  file: string;
  /** The model, for [defaults]' `persist` (refused in other sections). */
  model: Model;
}

// Keys of sections with a bad header are not checked: the header problem says it all.
export function normalise(
  sections: readonly RawSection[],
  file: string,
  where: { baseDir: string; homeDir: string },
): { model: Model; problems: Problem[] } {
  const context: Context = {
    file,
    where,
    model: { hosts: [], groups: [], hostOrder: [] },
    problems: [],
    firstLine: new Map(),
    seenHosts: new Set(),
  };
  for (const raw of sections) normaliseSection(context, raw);
  return { model: context.model, problems: context.problems };
}

function normaliseSection(context: Context, raw: RawSection): void {
  const at: Report = (message, key, line = raw.line) => {
    context.problems.push({ file: context.file, line, section: raw.header, key, message });
  };
  const kind = checkHeader(context, raw, at);
  if (!kind) return;
  const layer: Layer = { section: raw.header, settings: {}, vars: new Map() };
  const group: GroupSection | undefined =
    kind.kind === 'group'
      ? { name: kind.name, line: raw.line, layer, hosts: [], children: [], flawed: false }
      : undefined;
  const reader: SectionReader = {
    header: raw.header,
    layer,
    group,
    seenKeys: new Map(),
    where: context.where,
    at,
    addHost: (name) => addHost(context, name),
    notify: kind.kind === 'defaults' ? { where: '', webhooks: [] } : undefined,
    file: context.file,
    model: context.model,
  };
  for (const entry of raw.entries) readEntry(reader, entry);
  const notify = reader.notify;
  if (notify && (notify.webhooks.length > 0 || notify.timeoutMs !== undefined)) context.model.notify = notify;
  if (kind.kind === 'defaults') context.model.defaults = layer;
  else if (group) context.model.groups.push(group);
  else {
    context.model.hosts.push({ name: kind.name, line: raw.line, layer });
    addHost(context, kind.name);
  }
}

// The section's kind, or undefined when its header is unknown, repeated or names a bad host or group.
function checkHeader(context: Context, raw: RawSection, at: Report): NamedKind | undefined {
  const kind = sectionKind(raw.header);
  if ('error' in kind) {
    at(kind.error);
    return undefined;
  }
  const id = kind.kind === 'defaults' ? kind.kind : `${kind.kind}:${kind.name}`;
  const previous = context.firstLine.get(id);
  if (previous !== undefined) {
    at(`defined twice (first at line ${previous})`);
    return undefined;
  }
  context.firstLine.set(id, raw.line);
  const bad = kind.kind === 'defaults' ? undefined : checkName(kind.kind, kind.name);
  if (bad) {
    at(bad);
    return undefined;
  }
  return kind;
}

function addHost(context: Context, name: string): void {
  if (context.seenHosts.has(name)) return;
  context.seenHosts.add(name);
  context.model.hostOrder.push(name);
}

// A key is, in this order: a repeat, a group's hosts or children, a setting, a misspelt setting, or a variable.
function readEntry(reader: SectionReader, entry: RawEntry): void {
  const seen = reader.seenKeys.get(entry.key);
  if (seen !== undefined) {
    reader.at(`set twice in this section (first at line ${seen})`, entry.key, entry.line);
    if (reader.group && isStructural(entry.key)) reader.group.flawed = true;
    return;
  }
  reader.seenKeys.set(entry.key, entry.line);
  if (isStructural(entry.key)) {
    if (reader.group) readStructure(reader.group, entry, reader.at, reader.addHost);
    else reader.at(`only allowed in a [group:NAME] section`, entry.key, entry.line);
    return;
  }
  if (isSetting(entry.key)) {
    readSetting(reader, entry.key, entry);
    return;
  }
  if (isDefaultsOnly(entry.key)) {
    readNotify(reader, entry.key, entry);
    return;
  }
  if (entry.key === persistKey) {
    readPersist(reader, entry);
    return;
  }
  const typo = settingTypo(entry.key, reader.group !== undefined) ?? checkVariableName(entry.key);
  if (typo) {
    reader.at(typo, entry.key, entry.line);
    return;
  }
  reader.layer.vars.set(entry.key, { value: entry.value, line: entry.line, section: reader.header, key: entry.key });
}

function readSetting(reader: SectionReader, key: SettingName, entry: RawEntry): void {
  const parsed = parseSetting(key, entry.value, reader.where);
  if ('error' in parsed) reader.at(parsed.error, key, entry.line);
  else setSetting(reader.layer, key, { value: parsed.value, line: entry.line, section: reader.header, key });
}

// `notify` and `notify_timeout`: a run's notifications, so [defaults] only (an app sets its own in its task file).
function readNotify(reader: SectionReader, key: 'notify' | 'notify_timeout', entry: RawEntry): void {
  const notify = reader.notify;
  if (!notify) {
    reader.at(
      "only allowed in [defaults] (notifications are the run's, not a host's; an app sets its own `notify` in its task file)",
      key,
      entry.line,
    );
    return;
  }
  if (key === 'notify_timeout') {
    const parsed = parseNotifyTimeout(entry.value);
    if ('error' in parsed) reader.at(parsed.error, key, entry.line);
    else notify.timeoutMs = parsed.value;
    return;
  }
  const { sources, problems } = parseNotifyList(entry.value);
  for (const problem of problems) reader.at(problem, key, entry.line);
  notify.where = `${reader.file}:${entry.line}: [${reader.header}]`;
  notify.webhooks = sources.map((source) => ({ key, source }));
}

// `persist`: one background process serves the whole run, so [defaults] only (src/inventory/persist.ts).
function readPersist(reader: SectionReader, entry: RawEntry): void {
  if (reader.header !== 'defaults') {
    reader.at(
      "only allowed in [defaults] (one background process keeps the whole run's connections, not a host's)",
      persistKey,
      entry.line,
    );
    return;
  }
  const parsed = parsePersist(entry.value);
  if ('error' in parsed) reader.at(parsed.error, persistKey, entry.line);
  else if (parsed.value !== undefined) reader.model.persistMs = parsed.value;
}

function setSetting<K extends SettingName>(layer: Layer, key: K, located: Located<SettingValues[K]>): void {
  (layer.settings as Record<K, Located<SettingValues[K]>>)[key] = located;
}

type Kind = { kind: 'defaults' } | { kind: 'host' | 'group'; name: string } | { error: string };
type NamedKind = Exclude<Kind, { error: string }>;

function sectionKind(header: string): Kind {
  if (header === 'defaults') return { kind: 'defaults' };
  const colon = header.indexOf(':');
  const kind = colon === -1 ? header : header.slice(0, colon).trim();
  const name = colon === -1 ? '' : header.slice(colon + 1).trim();
  if (colon !== -1 && (kind === 'host' || kind === 'group')) return { kind, name };
  const expected = 'expected [defaults], [host:NAME] or [group:NAME]';
  const hint =
    closest(kind.toLowerCase(), sectionKinds) ??
    (sectionKinds.includes(kind.toLowerCase()) ? kind.toLowerCase() : undefined);
  if (hint !== undefined) {
    const suggestion = hint === 'defaults' ? '[defaults]' : `[${hint}:${name || 'NAME'}]`;
    return { error: `unknown section kind '${kind}' (did you mean ${suggestion}?)` };
  }
  if (colon === -1) return { error: `unknown section '[${header}]' (${expected})` };
  return { error: `unknown section kind '${kind}' (${expected})` };
}

// A key that is not a setting is a variable, unless it looks like a misspelt setting (`adress`, `identiy`).
function settingTypo(key: string, inGroup: boolean): string | undefined {
  const lower = key.toLowerCase();
  const known: readonly string[] = [
    ...settingNames,
    ...defaultsOnlyKeys,
    persistKey,
    ...(inGroup ? structuralKeys : []),
  ];
  if (known.includes(lower)) return `unknown setting (did you mean '${lower}'? settings are lower case)`;
  if (key.length < 4) return undefined;
  const near = closest(lower, known);
  if (near === undefined) return undefined;
  return `unknown setting (did you mean '${near}'? a variable must not look like a setting)`;
}

function readStructure(group: GroupSection, entry: RawEntry, at: Report, addHost: (name: string) => void): void {
  if (entry.key === 'hosts') {
    for (const item of splitList(entry.value)) {
      const expanded = expandRange(item);
      if ('error' in expanded) {
        at(expanded.error, entry.key, entry.line);
        group.flawed = true;
        continue;
      }
      for (const name of expanded.names) {
        const bad = checkName('host', name);
        if (bad) {
          at(bad, entry.key, entry.line);
          group.flawed = true;
        } else if (!group.hosts.includes(name)) {
          group.hosts.push(name);
          addHost(name);
        }
      }
    }
    return;
  }
  group.childrenLine = entry.line;
  for (const name of splitList(entry.value)) {
    const bad = checkName('group', name);
    if (bad) {
      at(bad, entry.key, entry.line);
      group.flawed = true;
    } else if (!group.children.includes(name)) {
      group.children.push(name);
    }
  }
}
