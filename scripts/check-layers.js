#!/usr/bin/env node
// Lint for architecture: imports between src/ folders must point one way (cli → commands → core → ssh), no cycles.
// Each folder has a rank; a file may import only from folders of a lower rank (or its own folder).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const src = path.resolve(import.meta.dirname, '..', 'src');
const rank = {
  cli: 8,
  commands: 7,
  deploy: 6,
  orchestration: 5,
  sandbox: 4,
  tasks: 4,
  supervisor: 3,
  inventory: 3,
  output: 3,
  ssh: 2,
  units: 1, // durations and amounts: one grammar for flags, inventory and task files.
  '.': 0, // src/errors.ts and src/index.ts live at the top; index.ts is the package entry and may import anything.
};

const problems = [];
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
  const file = path.join(entry.parentPath ?? entry.path, entry.name);
  const from = path.relative(src, path.dirname(file)).split(path.sep)[0] || '.';
  if (file === path.join(src, 'index.ts')) continue;
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    const target = path.resolve(path.dirname(file), match[1]);
    const to = path.relative(src, path.dirname(target)).split(path.sep)[0] || '.';
    if (to === from) continue;
    if (!(from in rank) || !(to in rank)) {
      problems.push(
        `${path.relative(src, file)}: folder '${!(from in rank) ? from : to}' has no rank in scripts/check-layers.js`,
      );
    } else if (rank[to] >= rank[from]) {
      problems.push(`${path.relative(src, file)}: imports ${match[1]} (${from} → ${to} points the wrong way)`);
    }
  }
}
if (problems.length > 0) {
  console.error(`layer check: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('layer check: ok');
