// Stage 3: rules across sections: children name real groups without cycles, groups have hosts, jumps name hosts.
import type { GroupSection, Model } from './normalise.ts';
import type { Problem } from './problems.ts';
import { didYouMean } from './suggest.ts';

// What resolution needs from the group graph once it is known to be sound.
export interface Membership {
  /** Group names each host is in, directly or through children. */
  groupsOf: Map<string, Set<string>>;
  /** Groups ordered for precedence: parents before children, then file order. */
  precedence: GroupSection[];
}

// Cross-section rules over the whole model; returns the membership even when there are problems.
export function checkRules(model: Model, file: string): { membership: Membership; problems: Problem[] } {
  const byName = new Map(model.groups.map((g) => [g.name, g]));
  const children = unknownChildren(model.groups, byName, file);
  const cyclic = findCycles(model.groups, byName);
  const hostsOf = hostsOfGroups(model.groups, byName);
  // A group whose children are unknown or cyclic is empty because of that problem; saying so again adds nothing.
  const excused = new Set([...children.groups, ...cyclic.members]);
  const problems: Problem[] = [
    ...children.problems,
    ...cycleProblems(cyclic.cycles, byName, file),
    ...emptyGroups(model.groups, hostsOf, excused, file),
    ...unknownJumps(model, file),
  ];
  if (model.hostOrder.length === 0) {
    problems.push({ file, message: 'no hosts (expected a [host:NAME] section or a [group:NAME] with hosts = …)' });
  }
  const membership = {
    groupsOf: groupsOfHosts(model.hostOrder, hostsOf),
    precedence: precedenceOrder(model.groups, byName),
  };
  return { membership, problems };
}

// `children` naming groups that do not exist, and the groups that name them.
function unknownChildren(
  groups: readonly GroupSection[],
  byName: Map<string, GroupSection>,
  file: string,
): { problems: Problem[]; groups: Set<string> } {
  const problems: Problem[] = [];
  const flawed = new Set<string>();
  for (const group of groups) {
    for (const child of group.children) {
      if (byName.has(child)) continue;
      flawed.add(group.name);
      const hint = didYouMean(child, [...byName.keys()]);
      problems.push({
        file,
        line: group.childrenLine,
        section: `group:${group.name}`,
        key: 'children',
        message: `unknown group '${child}'${hint}`,
      });
    }
  }
  return { problems, groups: flawed };
}

// Each cycle reported at the `children` line of the group it starts from.
function cycleProblems(cycles: readonly string[][], byName: Map<string, GroupSection>, file: string): Problem[] {
  return cycles.map((cycle) => {
    const first = byName.get(cycle[0] ?? '');
    return {
      file,
      line: first?.childrenLine,
      section: `group:${first?.name}`,
      key: 'children',
      message: `cycle ${cycle.join(' -> ')}`,
    };
  });
}

// Every host of each group, its own and its children's (a cycle is cut where it closes).
export function hostsOfGroups(
  groups: readonly GroupSection[],
  byName: ReadonlyMap<string, GroupSection>,
): Map<string, Set<string>> {
  const hostsOf = new Map<string, Set<string>>();
  const collect = (group: GroupSection, visiting: Set<string>): Set<string> => {
    const known = hostsOf.get(group.name);
    if (known) return known;
    const hosts = new Set(group.hosts);
    visiting.add(group.name);
    for (const child of group.children) {
      const sub = byName.get(child);
      if (sub && !visiting.has(child)) for (const h of collect(sub, visiting)) hosts.add(h);
    }
    visiting.delete(group.name);
    hostsOf.set(group.name, hosts);
    return hosts;
  };
  for (const group of groups) collect(group, new Set());
  return hostsOf;
}

// Groups without hosts, unless a problem about their hosts or children already explains why.
function emptyGroups(
  groups: readonly GroupSection[],
  hostsOf: ReadonlyMap<string, Set<string>>,
  excused: ReadonlySet<string>,
  file: string,
): Problem[] {
  const problems: Problem[] = [];
  for (const group of groups) {
    if ((hostsOf.get(group.name)?.size ?? 0) > 0 || group.flawed || excused.has(group.name)) continue;
    const message =
      group.children.length === 0
        ? 'empty group (expected hosts = … or children = …)'
        : `empty group: its children (${group.children.join(', ')}) have no hosts`;
    problems.push({ file, line: group.line, section: `group:${group.name}`, message });
  }
  return problems;
}

// `jump` naming a host the inventory does not have, in [defaults], then groups, then hosts.
function unknownJumps(model: Model, file: string): Problem[] {
  const hostNames = new Set(model.hostOrder);
  const layers = [
    ...(model.defaults ? [model.defaults] : []),
    ...model.groups.map((g) => g.layer),
    ...model.hosts.map((h) => h.layer),
  ];
  const problems: Problem[] = [];
  for (const layer of layers) {
    const jump = layer.settings.jump;
    if (!jump || jump.value === null || hostNames.has(jump.value)) continue;
    const hint = didYouMean(jump.value, model.hostOrder) || " (expected an inventory host name, or 'none')";
    problems.push({
      file,
      line: jump.line,
      section: jump.section,
      key: 'jump',
      message: `unknown host '${jump.value}'${hint}`,
    });
  }
  return problems;
}

// The groups each host is in, every host present even when it is in none.
function groupsOfHosts(
  hostOrder: readonly string[],
  hostsOf: ReadonlyMap<string, Set<string>>,
): Map<string, Set<string>> {
  const groupsOf = new Map<string, Set<string>>(hostOrder.map((h) => [h, new Set<string>()]));
  for (const [group, hosts] of hostsOf) for (const h of hosts) groupsOf.get(h)?.add(group);
  return groupsOf;
}

// Each cycle once, starting at the group that comes first in the file: `a -> b -> a`.
function findCycles(
  groups: readonly GroupSection[],
  byName: Map<string, GroupSection>,
): { cycles: string[][]; members: Set<string> } {
  const order = new Map(groups.map((g, i) => [g.name, i]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const members = new Set<string>();
  const visit = (group: GroupSection): void => {
    state.set(group.name, 'active');
    stack.push(group.name);
    for (const child of group.children) {
      const sub = byName.get(child);
      const seen = state.get(child);
      if (sub && seen === undefined) visit(sub);
      if (seen !== 'active') continue;
      const loop = stack.slice(stack.indexOf(child));
      const first = Math.min(...loop.map((name) => order.get(name) ?? 0));
      const start = loop.findIndex((name) => order.get(name) === first);
      const rotated = [...loop.slice(start), ...loop.slice(0, start)];
      cycles.push([...rotated, rotated[0] ?? child]);
      for (const name of loop) members.add(name);
    }
    stack.pop();
    state.set(group.name, 'done');
  };
  for (const group of groups) if (!state.has(group.name)) visit(group);
  return { cycles, members };
}

// Deeper groups (children) override their parents; groups at the same depth apply in file order.
function precedenceOrder(groups: readonly GroupSection[], byName: Map<string, GroupSection>): GroupSection[] {
  const parents = new Map<string, string[]>();
  for (const g of groups) for (const child of g.children) parents.set(child, [...(parents.get(child) ?? []), g.name]);
  const depth = new Map<string, number>();
  const depthOf = (name: string, visiting: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const d =
      Math.max(-1, ...(parents.get(name) ?? []).filter((p) => byName.has(p)).map((p) => depthOf(p, visiting))) + 1;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  return groups
    .map((g, index) => ({ g, index, d: depthOf(g.name, new Set()) }))
    .sort((a, b) => a.d - b.d || a.index - b.index)
    .map((x) => x.g);
}
