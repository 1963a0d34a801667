// Stage 1: the raw text as sections and `key = value` entries with their line numbers.
// Values are decoded by `ini` (quotes, `\;` escapes, `;`/`#` comments), but the structure is scanned here:
// ini.parse loses line numbers, merges a repeated section, splits `[host:db.example.com]` on its dots and
// reads `[defaults]  ; every host` (a header with a comment) as a key.
import ini from 'ini';
import type { Problem } from './problems.ts';

// One `key = value` line, decoded, with its line for messages.
export interface RawEntry {
  key: string;
  value: string;
  line: number;
}

// A `[header]` and the entries under it, in file order.
export interface RawSection {
  /** Header text between the brackets, trimmed (`group:web`). */
  header: string;
  line: number;
  entries: RawEntry[];
}

// Syntax problems are collected, not thrown, so later stages still report theirs.
export interface RawInventory {
  sections: RawSection[];
  problems: Problem[];
}

const headerPattern = /^\[([^\]]*)\]\s*(?:[;#].*)?$/;
const entryPattern = /^([^=]+)=(.*)$/;

// Splits the text into sections; lines that are neither a header, an entry, a comment nor blank are problems.
export function scanInventory(text: string, file: string): RawInventory {
  const sections: RawSection[] = [];
  const problems: Problem[] = [];
  let current: RawSection | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    const header = headerPattern.exec(trimmed);
    if (header) {
      current = { header: (header[1] ?? '').trim(), line, entries: [] };
      sections.push(current);
      return;
    }
    if (trimmed.startsWith('[')) {
      problems.push({
        file,
        line,
        message: `malformed section header '${trimmed}' (expected [defaults], [host:NAME] or [group:NAME])`,
      });
      return;
    }
    const entry = entryPattern.exec(trimmed);
    const key = entry ? ini.unsafe(entry[1] ?? '') : '';
    if (!entry || key === '') {
      problems.push({
        file,
        line,
        section: current?.header,
        message: `'${trimmed}' is not a setting (expected key = value)`,
      });
      return;
    }
    if (!current) {
      problems.push({
        file,
        line,
        key,
        message: 'outside any section (expected [defaults], [host:NAME] or [group:NAME] above it)',
      });
      return;
    }
    current.entries.push({ key, value: ini.unsafe(entry[2] ?? ''), line });
  });
  return { sections, problems };
}
