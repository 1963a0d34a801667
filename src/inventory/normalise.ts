// Stage 2: raw sections to typed [defaults], [host:…] and [group:…] sections; each entry is checked once, here.
import { checkName, checkVariableName, splitList } from './names.ts';
import type { Problem } from './problems.ts';
import type { RawEntry, RawSection } from './parse.ts';
import { expandRange } from './ranges.ts';
import { isSetting, isStructural, parseSetting, settingNames, structuralKeys } from './settings.ts';
import type { SettingName, SettingValues } from './settings.ts';
import { closest } from './suggest.ts';

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
}

const sectionKinds = ['defaults', 'host', 'group'];

// Keys of sections with a bad header are not checked: the header problem says it all.
export function normalise(
  sections: readonly RawSection[],
  file: string,
  where: { baseDir: string; homeDir: string },
): { model: Model; problems: Problem[] } {
  const problems: Problem[] = [];
  const model: Model = { hosts: [], groups: [], hostOrder: [] };
  const seenHosts = new Set<string>();
  const firstLine = new Map<string, number>();
  const addHost = (name: string): void => {
    if (!seenHosts.has(name)) {
      seenHosts.add(name);
      model.hostOrder.push(name);
    }
  };

  for (const raw of sections) {
    const at = (message: string, key?: string, line = raw.line): void => {
      problems.push({ file, line, section: raw.header, key, message });
    };
    const kind = sectionKind(raw.header);
    if ('error' in kind) {
      at(kind.error);
      continue;
    }
    const id = kind.kind === 'defaults' ? kind.kind : `${kind.kind}:${kind.name}`;
    const previous = firstLine.get(id);
    if (previous !== undefined) {
      at(`defined twice (first at line ${previous})`);
      continue;
    }
    firstLine.set(id, raw.line);
    if (kind.kind !== 'defaults') {
      const bad = checkName(kind.kind, kind.name);
      if (bad) {
        at(bad);
        continue;
      }
    }
    const layer: Layer = { section: raw.header, settings: {}, vars: new Map() };
    const group: GroupSection | undefined =
      kind.kind === 'group'
        ? { name: kind.name, line: raw.line, layer, hosts: [], children: [], flawed: false }
        : undefined;
    const seenKeys = new Map<string, number>();
    for (const entry of raw.entries) {
      const seen = seenKeys.get(entry.key);
      if (seen !== undefined) {
        at(`set twice in this section (first at line ${seen})`, entry.key, entry.line);
        if (group && isStructural(entry.key)) group.flawed = true;
        continue;
      }
      seenKeys.set(entry.key, entry.line);
      if (isStructural(entry.key)) {
        if (group) readStructure(group, entry, at, addHost);
        else at(`only allowed in a [group:NAME] section`, entry.key, entry.line);
        continue;
      }
      if (isSetting(entry.key)) {
        const parsed = parseSetting(entry.key, entry.value, where);
        if ('error' in parsed) at(parsed.error, entry.key, entry.line);
        else
          setSetting(layer, entry.key, { value: parsed.value, line: entry.line, section: raw.header, key: entry.key });
        continue;
      }
      const typo = settingTypo(entry.key, group !== undefined) ?? checkVariableName(entry.key);
      if (typo) {
        at(typo, entry.key, entry.line);
        continue;
      }
      layer.vars.set(entry.key, { value: entry.value, line: entry.line, section: raw.header, key: entry.key });
    }
    if (kind.kind === 'defaults') model.defaults = layer;
    else if (group) model.groups.push(group);
    else {
      model.hosts.push({ name: kind.name, line: raw.line, layer });
      addHost(kind.name);
    }
  }
  return { model, problems };
}

function setSetting<K extends SettingName>(layer: Layer, key: K, located: Located<SettingValues[K]>): void {
  (layer.settings as Record<K, Located<SettingValues[K]>>)[key] = located;
}

type Kind = { kind: 'defaults' } | { kind: 'host' | 'group'; name: string } | { error: string };

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
  const known: readonly string[] = inGroup ? [...settingNames, ...structuralKeys] : settingNames;
  if (known.includes(lower)) return `unknown setting (did you mean '${lower}'? settings are lower case)`;
  if (key.length < 4) return undefined;
  const near = closest(lower, known);
  if (near === undefined) return undefined;
  return `unknown setting (did you mean '${near}'? a variable must not look like a setting)`;
}

function readStructure(
  group: GroupSection,
  entry: RawEntry,
  at: (message: string, key?: string, line?: number) => void,
  addHost: (name: string) => void,
): void {
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
