// Where a host's supervisord keeps its socket and program confs, read from its own supervisord.conf.
import path from 'node:path';
import { shellJoin } from '../shell/quote.ts';
import { getIniValue } from './conf-edit.ts';

/** Standard locations, in the order supervisord itself and the distributions use them. */
export const confCandidates = [
  '/etc/supervisor/supervisord.conf', // Debian, Ubuntu
  '/etc/supervisord.conf', // RHEL, Fedora, EPEL; pip's last resort
  '/etc/supervisord/supervisord.conf',
  '/usr/local/etc/supervisord.conf', // pip into /usr/local
];

export interface SupervisorLayout {
  confPath: string;
  socketPath: string;
  /** Directory where per-app confs go (the first [include] glob's directory). */
  includeDir: string;
  /** The include glob's extension: `.conf` (Debian) or `.ini` (RHEL). */
  includeExtension: string;
  includeGlobs: string[];
  /**
   * Basic auth for the socket, when its [unix_http_server] sets `username`/`password` (supervisord answers 401
   * without them): from [supervisorctl], as supervisorctl takes them, else the server's own plain password.
   */
  credentials?: { username: string; password: string } | undefined;
}

export type LayoutResult = { ok: true; layout: SupervisorLayout } | { ok: false; problem: string };

/** Expands `%(here)s` (the conf's directory), as supervisord does for these paths. */
function expandHere(value: string, confDir: string): string {
  return value.replace(/%\(here\)s/g, confDir);
}

export function parseLayout(confPath: string, text: string): LayoutResult {
  const confDir = path.posix.dirname(confPath);
  const file = getIniValue(text, 'unix_http_server', 'file');
  if (!file)
    return {
      ok: false,
      problem: `${confPath} has no [unix_http_server] file= (Convoy talks to supervisord through its unix socket)`,
    };
  const socketPath = path.posix.resolve(confDir, expandHere(file, confDir));
  const files = getIniValue(text, 'include', 'files');
  const includeGlobs = (files ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((g) => path.posix.resolve(confDir, expandHere(g, confDir)));
  const first = includeGlobs[0];
  if (!first)
    return { ok: false, problem: `${confPath} has no [include] files= (where would app confs go?): run convoy setup` };
  const extension = path.posix.extname(first);
  const credentials = socketCredentials(confPath, text);
  if (typeof credentials === 'string') return { ok: false, problem: credentials };
  return {
    ok: true,
    layout: {
      confPath,
      socketPath,
      includeDir: path.posix.dirname(first),
      includeExtension: extension === '.ini' ? '.ini' : '.conf',
      includeGlobs,
      ...(credentials ? { credentials } : {}),
    },
  };
}

/** The socket's username and password, none when it asks for none, or why they cannot be had. */
function socketCredentials(
  confPath: string,
  text: string,
): { username: string; password: string } | string | undefined {
  const username = getIniValue(text, 'unix_http_server', 'username');
  if (!username) return undefined;
  const client = getIniValue(text, 'supervisorctl', 'password');
  const password = client ?? getIniValue(text, 'unix_http_server', 'password') ?? '';
  if (password.startsWith('{SHA}'))
    return `${confPath}: [unix_http_server] keeps only a {SHA} hash of the socket's password: put the password in [supervisorctl] password= (as supervisorctl needs it too)`;
  return { username: getIniValue(text, 'supervisorctl', 'username') ?? username, password };
}

/**
 * One shell round trip: prints a marker line naming the first readable conf, then the conf, or a marker saying there
 * is none. Markers, not "the first line": a login shell's rc files may print first.
 */
export function findConfCommand(explicit?: string, sudoRead = false, sayUnreadable = false): string {
  return findConfLines(explicit, sudoRead, sayUnreadable, 'exit');
}

/**
 * The search as a shell function, `convoy_find_conf`, that returns instead of exiting: for a script that reads more
 * after it (a deploy's first read, src/deploy/host-deploy.ts). Call it, then print a newline: the conf's text ends there.
 */
export function findConfFunction(explicit?: string, sudoRead = false): string {
  return `convoy_find_conf() {\n${findConfLines(explicit, sudoRead, true, 'return')}\n}`;
}

function findConfLines(explicit: string | undefined, sudoRead: boolean, sayUnreadable: boolean, end: string): string {
  const candidates = shellJoin(explicit ? [explicit] : confCandidates);
  const found = (read: string) => `then echo "---CONVOY-CONF $f---"; ${read} "$f"; ${end} 0; fi`;
  // A conf only root may read (0600) is read through sudo where allowed (the inventory's sudo, a login not root).
  const viaSudo = sudoRead ? ` if [ -e "$f" ] && sudo -n -- test -r "$f" 2>/dev/null; ${found('sudo -n -- cat')};` : '';
  // For setup: one that exists but nobody here can read is said, never taken for "no conf" (a default written over it).
  const unreadable = sayUnreadable ? ` if [ -e "$f" ]; then echo "unreadable=$f"; ${end} 0; fi;` : '';
  return `for f in ${candidates}; do if [ -r "$f" ]; ${found('cat')};${viaSudo}${unreadable} done; echo ---CONVOY-NO-CONF---`;
}

/** The socket of Debian's and Ubuntu's packaged supervisord (and of `convoy setup` there). */
export const usualSocketPath = '/var/run/supervisor.sock';

/**
 * The layout Debian's package and `convoy setup` give a host: what a deploy's first read takes for granted while it
 * reads the real one (and reads again where they differ). Undefined where the inventory names another conf.
 */
export function usualLayout(explicitConf?: string): SupervisorLayout | undefined {
  const confPath = confCandidates[0] as string;
  if (explicitConf !== undefined && explicitConf !== confPath) return undefined;
  const includeDir = '/etc/supervisor/conf.d';
  return {
    confPath,
    socketPath: usualSocketPath,
    includeDir,
    includeExtension: '.conf',
    includeGlobs: [`${includeDir}/*.conf`],
  };
}

/** Whether two layouts put app confs in the same place (the include directory, extension and globs). */
export function sameInclude(a: SupervisorLayout, b: SupervisorLayout): boolean {
  return (
    a.includeDir === b.includeDir &&
    a.includeExtension === b.includeExtension &&
    a.includeGlobs.join('\n') === b.includeGlobs.join('\n')
  );
}

export function parseFindConfOutput(stdout: string): { confPath: string; text: string } | undefined {
  const found = /^---CONVOY-CONF (.*)---$/m.exec(stdout);
  if (!found) return undefined;
  const start = found.index + found[0].length + 1;
  return { confPath: found[1] ?? '', text: stdout.slice(start) };
}
