// The version `convoy --version` prints: the package's own, read from its package.json (src/ and dist/ both sit
// one level below it).
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function convoyVersion(): string {
  try {
    const file = path.join(import.meta.dirname, '..', '..', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
