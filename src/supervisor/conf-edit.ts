// Edits INI-style files (supervisord.conf) in place: only the named keys change; comments and layout stay.

export interface IniEdit {
  section: string;
  values: Readonly<Record<string, string>>;
}

const sectionHeader = /^\s*\[([^\]]+)\]\s*(?:[;#].*)?$/;

/** Returns `text` with each key of each edit set in its section (added when missing, section appended when absent). */
export function setIniValues(text: string, edits: readonly IniEdit[]): string {
  let lines = text.split('\n');
  for (const edit of edits) lines = applyEdit(lines, edit);
  return lines.join('\n');
}

function applyEdit(lines: string[], edit: IniEdit): string[] {
  const out = [...lines];
  const start = out.findIndex((line) => sectionHeader.exec(line)?.[1]?.trim() === edit.section);
  if (start < 0) {
    if (out.length > 0 && out[out.length - 1] === '') out.pop();
    out.push('', `[${edit.section}]`, ...Object.entries(edit.values).map(([k, v]) => `${k}=${v}`), '');
    return out;
  }
  let end = out.length;
  for (let i = start + 1; i < out.length; i++) {
    if (sectionHeader.test(out[i] ?? '')) {
      end = i;
      break;
    }
  }
  let lastKeyLine = start;
  const missing: string[] = [];
  for (const [key, value] of Object.entries(edit.values)) {
    const keyLine = new RegExp(`^\\s*${escapeRegExp(key)}\\s*[=:]`);
    const at = out.slice(start + 1, end).findIndex((line) => keyLine.test(line));
    if (at >= 0) out[start + 1 + at] = `${key}=${value}`;
    else missing.push(`${key}=${value}`);
  }
  for (let i = start + 1; i < end; i++) {
    if (/^\s*[^\s;#[]/.test(out[i] ?? '')) lastKeyLine = i;
  }
  out.splice(lastKeyLine + 1, 0, ...missing);
  return out;
}

/** Reads one key of one section, or undefined (inline `;` comments stripped, as supervisord does). */
export function getIniValue(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  for (const line of text.split('\n')) {
    const header = sectionHeader.exec(line);
    if (header) {
      inSection = header[1]?.trim() === section;
      continue;
    }
    if (!inSection) continue;
    const match = new RegExp(`^\\s*${escapeRegExp(key)}\\s*[=:]\\s*(.*)$`).exec(line);
    if (match) return (match[1] ?? '').replace(/\s+;.*$/, '').trim();
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
