// Target patterns (docs/inventory.md, "Targets"), with Ansible's semantics: the union of the plain terms, intersected with
// each `&term`, minus each `!term`; `all`, host and group names, `*`/`?` globs; the result in file order.
import { UsageError } from '../errors.ts';
import { reservedName } from './names.ts';
import { didYouMean } from './suggest.ts';
import type { HostConfig, Inventory } from './types.ts';

// The hosts a target names, in inventory order; a term that matches nothing is a typo until proven otherwise.
export function resolveTarget(inventory: Inventory, target: string): HostConfig[] {
  const groups = `groups: ${inventory.groups.length === 0 ? '(none)' : inventory.groups.map((g) => g.name).join(', ')}`;
  const terms = target
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (terms.length === 0)
    throw new UsageError(`empty target (expected all, a group, a host, or a comma list); ${groups}`);

  let union = new Set<string>();
  const intersections: Set<string>[] = [];
  const exclusions: Set<string>[] = [];
  for (const term of terms) {
    const op = term[0] === '!' || term[0] === '&' ? term[0] : '';
    const pattern = term.slice(op.length).trim();
    if (pattern === '') throw new UsageError(`target term '${term}' names nothing after '${op}'; ${groups}`);
    const matched = match(inventory, pattern);
    if (matched.size === 0) {
      // Groups before hosts among suggestions: targets name groups far more often than single hosts.
      const hint = /[*?]/.test(pattern)
        ? ''
        : didYouMean(pattern, [
            reservedName,
            ...inventory.groups.map((g) => g.name),
            ...inventory.hosts.map((h) => h.name),
          ]);
      throw new UsageError(`target '${term}' matches no host or group${hint}; ${groups}`);
    }
    if (op === '!') exclusions.push(matched);
    else if (op === '&') intersections.push(matched);
    else union = new Set([...union, ...matched]);
  }

  const chosen = inventory.hosts.filter(
    (h) => union.has(h.name) && intersections.every((s) => s.has(h.name)) && !exclusions.some((s) => s.has(h.name)),
  );
  if (chosen.length === 0) {
    const hint =
      intersections.length + exclusions.length === terms.length
        ? ` (it has only '!' and '&' terms; start from all, e.g. 'all,${terms[0]}')`
        : '';
    throw new UsageError(`target '${target}' matches no host${hint}; ${groups}`);
  }
  return chosen;
}

// Host names a single pattern stands for: a name can be a host, a group (its hosts, children included) or both.
function match(inventory: Inventory, pattern: string): Set<string> {
  if (pattern === reservedName) return new Set(inventory.hosts.map((h) => h.name));
  const test = /[*?]/.test(pattern) ? globTest(pattern) : (name: string) => name === pattern;
  const groups = new Set(inventory.groups.map((g) => g.name).filter(test));
  return new Set(inventory.hosts.filter((h) => test(h.name) || h.groups.some((g) => groups.has(g))).map((h) => h.name));
}

// `*` is any run of characters, `?` exactly one; everything else is literal.
function globTest(pattern: string): (name: string) => boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}
