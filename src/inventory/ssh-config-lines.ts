// ssh_config lines as OpenSSH 9 reads them (readconf.c): the keyword, its words, and the raw rest of the line.
// Our own reader, not the `ssh-config` package: that package does not follow `Include` (it reads no files), matches
// `Host` case-insensitively where OpenSSH does not, and its `Match host` sees the name before `HostName` applies.

// One directive: `keyword` lower-cased; `args` split as OpenSSH's argv_split; `rest` the text after the keyword.
export interface ConfigLine {
  file: string;
  line: number;
  keyword: string;
  args: string[];
  /** ProxyCommand and the other command directives take the rest of the line verbatim. */
  rest: string;
}

// Lines that are not blank or comments, in order; a line with a keyword but no value is an error message.
export function parseConfigLines(text: string, file: string): { lines: ConfigLine[]; errors: string[] } {
  const lines: ConfigLine[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.replace(/[\s\f]+$/, '').replace(/^\s+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // The keyword ends at whitespace or at one `=` (`Port=22`, `Port = 22`).
    const match = /^([^\s=]+)\s*(?:=\s*)?(.*)$/.exec(trimmed);
    const keyword = match?.[1]?.toLowerCase() ?? '';
    const rest = match?.[2] ?? '';
    if (rest === '') {
      errors.push(`${file}:${i + 1}: no argument after keyword '${keyword}'`);
      return;
    }
    const split = splitArgs(rest);
    if ('error' in split) errors.push(`${file}:${i + 1}: ${split.error}`);
    else lines.push({ file, line: i + 1, keyword, args: split.args, rest });
  });
  return { lines, errors };
}

// Words separated by whitespace; "…" and '…' group; a backslash escapes a quote, a backslash or a space;
// a word starting with `#` starts a comment (OpenSSH 8.7+ argv_split with terminate_on_comment).
export function splitArgs(text: string): { args: string[] } | { error: string } {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length || text[i] === '#') break;
    let word = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i] ?? '';
      if (c === '\\' && /["'\\\s]/.test(text[i + 1] ?? '') && (quote === undefined || text[i + 1] === quote)) {
        word += text[++i];
      } else if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (/\s/.test(c)) break;
      else word += c;
    }
    if (quote !== undefined) return { error: 'unterminated quote' };
    args.push(word);
  }
  return { args };
}

// OpenSSH's match_pattern: `*` any run of characters, `?` one; case-sensitive unless `fold` (Match criteria).
export function matchPattern(name: string, pattern: string, fold = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, fold ? 'is' : 's').test(name);
}

// match_pattern_list: comma-separated patterns; a matching `!pattern` vetoes, else any plain match matches.
export function matchPatternList(name: string, list: string, fold: boolean): boolean {
  let matched = false;
  for (const item of list.split(',')) {
    const negated = item.startsWith('!');
    if (matchPattern(name, negated ? item.slice(1) : item, fold)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

// A `Host` line: any plain pattern matches and no negated one does (OpenSSH compares the name case-sensitively).
export function hostLineMatches(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (matchPattern(name, negated ? pattern.slice(1) : pattern)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}
