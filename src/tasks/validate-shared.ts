// The app's `shared` paths and `templates` (docs/tasks.md, "shared" and "templates"): paths inside a release, checked
// before anything connects. Template sources are read later, once per run (src/deploy/release-files.ts).
import type { SharedSpec } from './define.ts';
import type { NormalisedShared, NormalisedTemplate } from './normalised.ts';
import type { Checker } from './shape.ts';
import { join } from './shape.ts';

const sharedKeySet: Record<keyof SharedSpec, true> = { dirs: true, files: true };

// What a path inside a release may hold: nothing a shell, a glob or a terminal would read as more than text.
const releasePathPattern = /^[A-Za-z0-9_.@+-]+(?:\/[A-Za-z0-9_.@+-]+)*$/;

/** undefined when `path` is a normalized path inside a release, else the problem (naming the value). */
export function releasePathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return `'${path}' is absolute (expected a path relative to the release, e.g. 'var/cache')`;
  if (!releasePathPattern.test(path)) {
    return `'${path}' is not a safe relative path (expected letters, digits, '_', '.', '-', '@', '+' and '/', no empty parts, no trailing '/')`;
  }
  if (path.split('/').some((part) => part === '.' || part === '..'))
    return `'${path}' has a '.' or '..' part (expected a normalized path inside the release)`;
  return undefined;
}

/** `a` is `b`, or inside it (`var` holds `var/cache`). */
function within(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`);
}

interface Located {
  path: string;
  key: string;
}

export function validateShared(c: Checker, value: unknown): NormalisedShared {
  const spec = c.object(value, 'shared', Object.keys(sharedKeySet));
  if (!spec) return { dirs: [], files: [] };
  const seen: Located[] = [];
  const list = (kind: keyof SharedSpec): string[] => {
    if (spec[kind] === undefined) return [];
    const paths = c.stringList(spec[kind], join('shared', kind)) ?? [];
    return paths.filter((path, i) => {
      const key = `${join('shared', kind)}[${i}]`;
      const problem = releasePathProblem(path) ?? sharedPathProblem(path, seen);
      if (problem) return c.report(key, problem) ?? false;
      seen.push({ path, key });
      return true;
    });
  };
  return { dirs: list('dirs').sort(), files: list('files').sort() };
}

/** A shared path that collides with Convoy's own files, or with another shared path. */
function sharedPathProblem(path: string, seen: readonly Located[]): string | undefined {
  if (path.startsWith('.convoy'))
    return `'${path}' starts with '.convoy' (expected a path of the app's own: <root>/shared/.convoy-secrets is Convoy's)`;
  const other = seen.find((s) => within(path, s.path) || within(s.path, path));
  if (!other) return undefined;
  if (other.path === path) return `'${path}' is given twice (also ${other.key})`;
  const [inner, outer] = within(path, other.path) ? [path, other.path] : [other.path, path];
  return `'${path}' overlaps ${other.key} '${other.path}' (${inner} is inside ${outer}: link one or the other)`;
}

/** `{ '<path in the release>': '<template file>' }`, sorted by path; none may land in a shared path. */
export function validateTemplates(c: Checker, value: unknown, shared: NormalisedShared): NormalisedTemplate[] {
  const specs = c.record(value, 'templates');
  if (!specs) return [];
  const templates: NormalisedTemplate[] = [];
  for (const [path, source] of Object.entries(specs)) {
    const key = join('templates', path);
    const problem = releasePathProblem(path) ?? templatePathProblem(path, shared);
    const file = c.string(source, key);
    if (problem) c.report(key, problem);
    else if (file !== undefined) templates.push({ path, source: file });
  }
  return templates.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function templatePathProblem(path: string, shared: NormalisedShared): string | undefined {
  const dir = shared.dirs.find((d) => within(path, d) || within(d, path));
  if (dir !== undefined)
    return `'${path}' overlaps the shared dir '${dir}' (a rendered file belongs to one release, not to <root>/shared/)`;
  const file = shared.files.find((f) => within(path, f) || within(f, path));
  if (file !== undefined) return `'${path}' overlaps the shared file '${file}' (render it, or share it: not both)`;
  return undefined;
}
