// Lint for architecture (docs/architecture.md): imports between src/ folders point one way, and only the layers
// that own the SSH connection may touch it.
// Each folder has a rank; a file may import only from folders of a lower rank (or its own folder).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const src = path.resolve(import.meta.dirname, '..', 'src');
const rank: Record<string, number> = {
  cli: 11,
  commands: 10,
  output: 9,
  ui: 9, // the dashboard's server and state, beside src/output (neither imports the other)
  deploy: 8,
  sandbox: 7,
  host: 6,
  orchestration: 5,
  secrets: 5,
  tasks: 4,
  supervisor: 3,
  inventory: 3,
  health: 3,
  ssh: 2,
  shell: 1,
  units: 1,
  '.': 0, // src/errors.ts and src/index.ts live at the top; index.ts is the package entry and may import anything.
};

// Above the host session nothing touches the connection: no ssh2, no src/ssh (host keys, pool, channels, SFTP).
const sessionOnly = {
  folders: ['commands', 'deploy', 'output', 'orchestration', 'ui'],
  packages: ['ssh2'],
  srcFolders: ['ssh'],
};

// Packages every command would pay for if any module on its path imported them statically: tsx brings esbuild
// (~80 ms of CPU a run), and only the commands that read task files need it.
const onDemandPackages = ['tsx', 'esbuild'];

const importPattern = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

function folderOf(file: string): string {
  return path.relative(src, path.dirname(file)).split(path.sep)[0] || '.';
}

/** Problems of one file: wrong-way imports, and connection internals where only the session may use them. */
export function checkFile(file: string, text: string): string[] {
  const problems: string[] = [];
  const from = folderOf(file);
  const name = path.relative(src, file);
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? '';
    if (!spec.startsWith('.')) {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      if (onDemandPackages.includes(pkg) && !/^\s*import\s+type\s/.test(match[0])) {
        problems.push(
          `${name}: imports ${spec} statically: it is loaded only on demand (await import()), where needed`,
        );
      }
      if (sessionOnly.folders.includes(from) && sessionOnly.packages.includes(pkg)) {
        problems.push(
          `${name}: imports ${spec}: src/${from} works through the host session (src/host), not the SSH library`,
        );
      }
      continue;
    }
    const to = folderOf(path.resolve(path.dirname(file), spec));
    if (to === from) continue;
    if (!(from in rank) || !(to in rank)) {
      problems.push(`${name}: folder '${!(from in rank) ? from : to}' has no rank in scripts/check-layers.ts`);
    } else if ((rank[to] ?? 0) >= (rank[from] ?? 0)) {
      problems.push(`${name}: imports ${spec} (${from} → ${to} points the wrong way)`);
    } else if (sessionOnly.folders.includes(from) && sessionOnly.srcFolders.includes(to)) {
      problems.push(`${name}: imports ${spec}: src/${from} works through the host session (src/host), not src/${to}`);
    }
  }
  return problems;
}

function main(): void {
  const problems: string[] = [];
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if (file === path.join(src, 'index.ts')) continue;
    problems.push(...checkFile(file, readFileSync(file, 'utf8')));
  }
  if (problems.length > 0) {
    console.error(`layer check: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log('layer check: ok');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
