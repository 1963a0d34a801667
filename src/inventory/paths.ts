// Local paths in the inventory: `~` is the injected home, relative paths start at the inventory's directory.
import path from 'node:path';

// `~` and `~/x` only (not `~user`), against the injected home so tests never depend on the real one.
export function expandHome(p: string, homeDir: string): string {
  if (p === '~') return homeDir;
  if (p.startsWith('~/')) return path.join(homeDir, p.slice(2));
  return p;
}

// An absolute path for a file named in the inventory: a key next to the inventory is `identity = keys/id`.
export function resolveLocalPath(p: string, baseDir: string, homeDir: string): string {
  return path.resolve(baseDir, expandHome(p, homeDir));
}
