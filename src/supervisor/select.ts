// Which of a host's processes a user's names mean: `group:name`, `group:*`, an app (group) name, a lone program, globs.

export interface NamedProcess {
  name: string;
  group: string;
}

export interface Selection<P extends NamedProcess> {
  selected: P[];
  /** Patterns that matched nothing on this host. */
  unmatched: string[];
}

/** `group:name` as supervisorctl prints it; a program that is its own group is just `name`. */
export function displayName(p: NamedProcess): string {
  return p.group === p.name ? p.name : `${p.group}:${p.name}`;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

function matches(p: NamedProcess, pattern: string): boolean {
  if (pattern === 'all') return true;
  const colon = pattern.indexOf(':');
  if (colon >= 0) {
    const group = pattern.slice(0, colon);
    const name = pattern.slice(colon + 1);
    return globToRegExp(group).test(p.group) && (name === '*' || globToRegExp(name).test(p.name));
  }
  if (/[*?]/.test(pattern)) return globToRegExp(pattern).test(displayName(p)) || globToRegExp(pattern).test(p.group);
  return p.group === pattern || displayName(p) === pattern;
}

/** No patterns means every process. Order follows `processes` (supervisord's: by group, then name). */
export function selectProcesses<P extends NamedProcess>(
  processes: readonly P[],
  patterns: readonly string[],
): Selection<P> {
  if (patterns.length === 0) return { selected: [...processes], unmatched: [] };
  const selected = processes.filter((p) => patterns.some((pattern) => matches(p, pattern)));
  const unmatched = patterns.filter((pattern) => !processes.some((p) => matches(p, pattern)));
  return { selected, unmatched };
}
