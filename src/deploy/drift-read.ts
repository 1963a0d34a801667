// What `convoy plan` reads on a host in one exec round trip (docs/command-line.md, "convoy plan"): supervisord.conf,
// the include directory (each conf's first line, and the bytes of each app's own conf), and per app its `current`,
// releases, lock, secrets key and deploy record. Nothing is written. Sections start at marker lines; file bytes
// travel as base64, so a conf's exact bytes (a missing last newline included) come back.
import { RemoteStepError, failureDetail } from '../host/errors.ts';
import type { HostSession } from '../host/session.ts';
import { shellQuote } from '../shell/quote.ts';
import type { SupervisorLayout } from '../supervisor/layout.ts';
import { findConfCommand, parseFindConfOutput, parseLayout } from '../supervisor/layout.ts';
import { SupervisorUnavailableError } from '../supervisor/transport.ts';
import type { IncludeDirListing } from './orphans.ts';
import { confLines, parseConfList } from './orphans.ts';
import type { RemoteState } from './remote-state.ts';
import { appPaths, inspectLines, parseInspect } from './remote-state.ts';
import { secretsPaths } from './secrets-on-host.ts';

/** An app as the read needs it on one host. */
export interface PlannedApp {
  name: string;
  root: string;
  hasSecrets: boolean;
}

export interface HostRead {
  /** supervisord.conf as found (the inventory's `supervisor_conf`, else the standard places), or undefined. */
  supervisord: { confPath: string; text: string } | undefined;
  /** The include directory and extension as the host's shell took them from supervisord.conf. */
  include: { dir: string; extension: string } | undefined;
  listing: IncludeDirListing;
  /** Each app's conf bytes (absent: no such file; null: the login could not read it). */
  confs: Map<string, string | null>;
  /** Each app's root: current, releases, lock, secrets key, record (its `conf` is not read there: see `confs`). */
  apps: Map<string, RemoteState>;
}

const marker = (kind: string, arg = '') => `---CONVOY-PLAN-${kind}${arg ? ` ${arg}` : ''}---`;
const markerLine = /^---CONVOY-PLAN-([A-Z]+)(?: (.*))?---$/;

// `files` of `[include]`, as getIniValue (src/supervisor/conf-edit.ts) reads it: first match, `;` comments cut.
const includeFiles = [
  '/^[ \\t]*\\[[^]]+\\][ \\t]*([;#].*)?$/ { s = $0; sub(/^[ \\t]*\\[/, "", s); sub(/\\].*$/, "", s);',
  '  gsub(/^[ \\t]+|[ \\t]+$/, "", s); inc = (s == "include"); next }',
  'inc && /^[ \\t]*files[ \\t]*[=:]/ { sub(/^[ \\t]*files[ \\t]*[=:][ \\t]*/, ""); sub(/[ \\t]+;.*$/, ""); print; exit }',
].join('\n');

/** The include directory's confs, and each app's own conf in base64 (or a line saying it could not be read). */
function includeDirLines(dirWord: string, extensionWord: string, apps: readonly PlannedApp[]): string[] {
  return [
    ...confLines(dirWord, extensionWord),
    ...apps.map(
      (app) =>
        `f=${dirWord}/${shellQuote(app.name)}${extensionWord}; if [ -f "$f" ]; then echo ${shellQuote(marker('CONF', app.name))}; ` +
        `if [ -r "$f" ]; then base64 < "$f"; else echo '!unreadable'; fi; fi`,
    ),
  ];
}

/**
 * The first glob of `[include] files`, resolved as parseLayout does (`%(here)s`, relative to the conf's directory):
 * its directory and extension are said, then read. Where the shell's reading differs from parseLayout's (an unusual
 * conf), `plan` reads the include directory again, in a second round trip (`includeDirScript`).
 */
function includeLines(apps: readonly PlannedApp[]): string[] {
  return [
    `conf=$(printf '%s\\n' "$found" | sed -n 's/^---CONVOY-CONF \\(.*\\)---$/\\1/p' | head -n 1)`,
    `files=$(printf '%s\\n' "$found" | awk ${shellQuote(includeFiles)})`,
    'set -f; set -- $files; set +f',
    'g=${1:-}; here=${conf%/*}',
    `while :; do case $g in *'%(here)s'*) g="\${g%%'%(here)s'*}$here\${g#*'%(here)s'}" ;; *) break ;; esac; done`,
    `case $g in /*|'') ;; *) g="$here/$g" ;; esac`,
    'if [ -n "$conf" ] && [ -n "$g" ]; then',
    '  dir=${g%/*}; case $g in *.ini) ext=.ini ;; *) ext=.conf ;; esac',
    '  echo "includedir=$dir"; echo "includeext=$ext"',
    ...includeDirLines('"$dir"', '"$ext"', apps).map((l) => `  ${l}`),
    'fi',
  ];
}

/** Each app's root: the deploy's own state read (src/deploy/remote-state.ts), without its conf. */
function appLines(app: PlannedApp): string[] {
  const paths = appPaths(app.root, '', app.name, '');
  const secretsKey = app.hasSecrets ? secretsPaths(app.root).key : '';
  return [`echo ${shellQuote(marker('APP', app.name))}`, ...inspectLines(paths, '', { secretsKey, conf: false })];
}

/** The whole read, as one script (run as root where the inventory allows: confs are root's 0640). */
export function planReadScript(apps: readonly PlannedApp[], supervisorConf?: string, sudoRead = false): string {
  return [
    `echo ${marker('HEAD')}`,
    // In a command substitution, the search's `exit` ends the substitution only.
    `found=$(${findConfCommand(supervisorConf, sudoRead)})`,
    `echo ${marker('SUPERVISORD')}; printf '%s\\n' "$found" | base64`,
    `echo ${marker('HEAD')}`,
    ...includeLines(apps),
    ...apps.flatMap(appLines),
    'exit 0',
  ].join('\n');
}

/** The include directory of a known layout, read apart (when the shell's reading of the conf differed). */
export function includeDirScript(layout: SupervisorLayout, apps: readonly PlannedApp[]): string {
  const lines = includeDirLines(shellQuote(layout.includeDir), shellQuote(layout.includeExtension), apps);
  return [`echo ${marker('HEAD')}`, ...lines, 'exit 0'].join('\n');
}

const fromBase64 = (lines: readonly string[]) => Buffer.from(lines.join(''), 'base64').toString('utf8');

/** Splits the output into marked sections (output before the first marker, from rc files, is dropped). */
function sections(stdout: string): { kind: string; arg: string; lines: string[] }[] {
  const found: { kind: string; arg: string; lines: string[] }[] = [];
  for (const line of stdout.split('\n')) {
    const m = markerLine.exec(line);
    if (m) found.push({ kind: m[1] ?? '', arg: m[2] ?? '', lines: [] });
    else found.at(-1)?.lines.push(line);
  }
  return found;
}

export function parseHostRead(stdout: string): HostRead {
  const read: HostRead = {
    supervisord: undefined,
    include: undefined,
    listing: { marked: [], unreadable: [] },
    confs: new Map(),
    apps: new Map(),
  };
  const head: string[] = [];
  for (const { kind, arg, lines } of sections(stdout)) {
    if (kind === 'HEAD') head.push(...lines);
    else if (kind === 'SUPERVISORD') read.supervisord = parseFindConfOutput(fromBase64(lines));
    else if (kind === 'CONF') read.confs.set(arg, lines[0] === '!unreadable' ? null : fromBase64(lines));
    else if (kind === 'APP') read.apps.set(arg, parseInspect(lines.join('\n')));
  }
  const value = (key: string) => head.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const dir = value('includedir');
  const extension = value('includeext');
  if (dir !== undefined && extension !== undefined) read.include = { dir, extension };
  read.listing = parseConfList(head.join('\n'));
  return read;
}

/** The host's layout from the conf the read found; a host without one fails as deploy's would. */
export function layoutOf(host: string, read: HostRead): SupervisorLayout {
  if (!read.supervisord) {
    throw new SupervisorUnavailableError(
      host,
      `${host}: no readable supervisord.conf: run \`convoy setup ${host}\`, or set supervisor_conf in the inventory`,
    );
  }
  const parsed = parseLayout(read.supervisord.confPath, read.supervisord.text);
  if (!parsed.ok) throw new SupervisorUnavailableError(host, `${host}: ${parsed.problem}`);
  return parsed.layout;
}

/**
 * Reads the host for `plan`: one round trip, as root where the inventory allows (as `check <target>` reads confs);
 * a second one only where the shell took another include directory from supervisord.conf than Convoy does.
 */
export async function readHostForPlan(
  session: HostSession,
  apps: readonly PlannedApp[],
): Promise<{ read: HostRead; layout: SupervisorLayout }> {
  const script = planReadScript(apps, session.host.supervisorConf, session.inlineSudo);
  const read = parseHostRead(await readStep(session, 'read for plan', script));
  const layout = layoutOf(session.name, read);
  if (read.include?.dir === layout.includeDir && read.include.extension === layout.includeExtension) {
    return { read, layout };
  }
  const include = parseHostRead(await readStep(session, 'read confs', includeDirScript(layout, apps)));
  return { read: { ...read, listing: include.listing, confs: include.confs }, layout };
}

async function readStep(session: HostSession, step: string, script: string): Promise<string> {
  const result = await session.script(step, script, 'preferred', { keptShell: true });
  if (result.code !== 0) throw new RemoteStepError(session.name, step, result, failureDetail(result));
  return result.stdout;
}
