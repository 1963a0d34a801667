// How a value survives Supervisor's config reader (Python configparser + `%` expansion + shlex for environment),
// read in supervisor 4.2.5's options.py and datatypes.py. Task validation and conf generation share these rules.

// `%(name)s`, `%(process_num)02d`: Python's %-format with a mapping key, as supervisord expands it.
export const expansionPattern = /%\(([A-Za-z0-9_]+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]/g;

// Expansions a [program:x] section can use; `ENV_*` (any environment variable) is accepted as well.
export const programExpansions = [
  'here',
  'program_name',
  'host_node_name',
  'group_name',
  'process_num',
  'numprocs',
] as const;

// Names in `%(name)…` forms that supervisord would refuse to expand.
export function unknownExpansions(text: string): string[] {
  const known = new Set<string>(programExpansions);
  return Array.from(text.matchAll(expansionPattern), (m) => m[1] ?? '').filter(
    (name) => !known.has(name) && !name.startsWith('ENV_'),
  );
}

// `%` doubled `passes` times, except in Supervisor's own expansions when they are kept. stdout_logfile and
// stderr_logfile go through expansion twice (options.py expands them on read and again per process).
export function escapePercent(text: string, options: { keepExpansions: boolean; passes: 1 | 2 }): string {
  const escaped = options.passes === 2 ? '%%%%' : '%%';
  if (!options.keepExpansions) return text.replaceAll('%', escaped);
  let out = '';
  let last = 0;
  for (const match of text.matchAll(expansionPattern)) {
    out += text.slice(last, match.index).replaceAll('%', escaped) + match[0];
    last = match.index + match[0].length;
  }
  return out + text.slice(last).replaceAll('%', escaped);
}

// Why `text` cannot be an option value in a .conf file, or undefined. configparser has no escapes: a line break
// ends the value, and (inline_comment_prefixes = ';', '#') whitespace before ';' or '#' starts a comment.
export function confValueProblem(text: string): string | undefined {
  if (/[\r\n]/.test(text)) return 'contains a line break (Supervisor reads one line per option)';
  const comment = /\s[;#]/.exec(text);
  if (comment)
    return `contains '${comment[0].replace(/\s/, ' ')}', which Supervisor reads as the start of a comment (remove the space before '${comment[0].slice(1)}')`;
  return undefined;
}

// Why an environment value cannot be written, or undefined. Supervisor splits `environment` with a non-POSIX
// shlex (no escapes) and strips every quote from both ends of a value.
export function environmentValueProblem(text: string): string | undefined {
  if (text.includes('"') && text.includes("'"))
    return `contains both ' and ", which Supervisor's environment syntax cannot quote`;
  if (/^["']|["']$/.test(text)) return 'starts or ends with a quote, which Supervisor strips';
  return confValueProblem(text);
}

// `"value"`, or `'value'` when it holds a double quote; quoted always, as unquoted `#` would start a comment.
export function quoteEnvironmentValue(text: string): string {
  return text.includes('"') ? `'${text}'` : `"${text}"`;
}
