// known_hosts files as read once per run, and the one place that appends newly trusted keys.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KnownHostEntry } from './known-hosts.ts';
import { knownHostsLine, parseKnownHosts } from './known-hosts.ts';

export const globalKnownHostsFile = '/etc/ssh/ssh_known_hosts';

export class KnownHostsStore {
  private readonly cache = new Map<string, KnownHostEntry[]>();
  constructor(private readonly readOnlyFiles: readonly string[] = [globalKnownHostsFile]) {}

  /** Entries of `file` (or of each file of a list) plus the read-only global files (a missing file has none). */
  entries(files: string | readonly string[]): KnownHostEntry[] {
    return [...new Set([...(typeof files === 'string' ? [files] : files), ...this.readOnlyFiles])].flatMap((f) =>
      this.load(f),
    );
  }

  /** Appends a trusted key (after an explicit opt-in) and makes it visible to later lookups in this run. */
  record(file: string, name: string, blob: Buffer): void {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const line = knownHostsLine(name, blob);
    appendFileSync(file, `${line}\n`, { mode: 0o600 });
    const entries = this.load(file);
    entries.push(...parseKnownHosts(line, file).map((e) => ({ ...e, line: entries.length + 1 })));
  }

  private load(file: string): KnownHostEntry[] {
    let entries = this.cache.get(file);
    if (!entries) {
      try {
        entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        entries = [];
      }
      this.cache.set(file, entries);
    }
    return entries;
  }
}
