// What a host has of an app, read in one round trip: current release, releases, cached artifact, lock, the deploy
// record and the conf bytes. Sections are found by marker lines, so output a login shell's rc files print first is
// never taken for state.
import { shellQuote } from '../shell/quote.ts';
import type { RecordEntry } from './record.ts';
import { parseRecord, recordLength, recordPath } from './record.ts';
import type { SectionClash } from './conf-owner.ts';
import { parseClashes } from './conf-owner.ts';

export interface AppPaths {
  root: string;
  releasesDir: string;
  current: string;
  cacheDir: string;
  lockDir: string;
  /** The app's conf in supervisord's include directory. */
  confPath: string;
}

export function appPaths(root: string, includeDir: string, app: string, extension: string): AppPaths {
  return {
    root,
    releasesDir: `${root}/releases`,
    current: `${root}/current`,
    cacheDir: `${root}/.convoy/artifacts`,
    lockDir: `${root}/.convoy-lock`,
    confPath: `${includeDir}/${app}${extension}`,
  };
}

export interface RemoteState {
  /** Release id that `current` points to, if any. */
  current: string | undefined;
  /** Names in releases/ (release ids and leftover `*.partial`). */
  entries: string[];
  artifactCached: boolean;
  /** The app's conf as the host has it, or null when absent. */
  conf: string | null;
  /** First line of the lock's owner file when a lock is held. */
  lockOwner: string | undefined;
  /** The app's deploy record on this host (empty when none was ever written). */
  record: RecordEntry[];
  /** Sections of the app that other confs in the include directory define too (src/deploy/conf-owner.ts). */
  clashes: SectionClash[];
  /** The host's HMAC key for the app's secrets, when it has one (src/deploy/secrets-on-host.ts). */
  secretsKey?: string | undefined;
  /** The conf exists but the login could not read it (sudo could not be called from the script): read it as root. */
  confUnreadable?: boolean;
  /** A shared dir or file of the app is missing (only read when `InspectExtras.shared` asks). */
  sharedMissing?: boolean;
}

const stateMarker = '---CONVOY-STATE---';
const recordMarker = '---CONVOY-RECORD---';
const confMarker = '---CONVOY-CONF---';

/** What the state read adds: `clash=` lines (conf-owner.ts), the secrets key, the conf read through `sudo -n`. */
export interface InspectExtras {
  clashes?: string;
  /** The key file's path, when the app has secrets. */
  secretsKey?: string;
  /** The conf is root's 0640 and the login may sudo: read it as root when the login cannot. */
  sudoCat?: boolean;
  /** Read the app's conf too (default); `plan` reads it with the include directory instead. */
  conf?: boolean;
  /** A line that prints `sharedmissing=1` when a shared path is missing (release-files.ts, sharedPresentLine). */
  shared?: string;
}

export function inspectCommand(paths: AppPaths, cacheName: string, extras: InspectExtras = {}): string {
  return [...inspectLines(paths, cacheName, extras), 'exit 0'].join('\n');
}

/** The lines of `inspectCommand` before its `exit`, for a script that reads more (`plan`). */
export function inspectLines(paths: AppPaths, cacheName: string, extras: InspectExtras = {}): string[] {
  const q = shellQuote;
  const { clashes = '', secretsKey = '', sudoCat = false, conf = true, shared = '' } = extras;
  const readConf = sudoCat
    ? `{ cat ${q(paths.confPath)} 2>/dev/null || sudo -n -- cat ${q(paths.confPath)}; }`
    : `cat ${q(paths.confPath)}`;
  return [
    `echo ${stateMarker}`,
    currentLine(paths.current),
    `if [ -d ${q(paths.releasesDir)} ]; then for d in ${q(paths.releasesDir)}/*; do [ -e "$d" ] && echo "entry=\${d##*/}"; done; fi`,
    cacheName ? `if [ -f ${q(`${paths.cacheDir}/${cacheName}`)} ]; then echo artifact=1; fi` : '',
    `if [ -e ${q(paths.lockDir)} ]; then echo "lock=$(head -n 1 ${q(`${paths.lockDir}/owner`)} 2>/dev/null || echo unknown)"; fi`,
    clashes,
    shared,
    secretsKey ? `if [ -f ${q(secretsKey)} ]; then echo "secretskey=$(head -n 1 ${q(secretsKey)})"; fi` : '',
    // Unreadable by the login, and sudo -n cannot help (it wants a password or a terminal): the conf is read apart.
    conf
      ? `if [ -f ${q(paths.confPath)} ] && [ ! -r ${q(paths.confPath)} ]${sudoCat ? ' && ! sudo -n -- true 2>/dev/null' : ''}; then echo confunreadable=1; fi`
      : '',
    `echo ${recordMarker}`,
    ...(conf && !sudoCat
      ? recordAndConfLines(recordPath(paths), paths.confPath)
      : [
          `tail -n ${recordLength} ${q(recordPath(paths))} 2>/dev/null`,
          conf ? `if [ -f ${q(paths.confPath)} ]; then echo ${confMarker}; ${readConf}; fi` : '',
        ]),
  ].filter(Boolean);
}

/**
 * `current=<release>`, with the shell's own `cd -P` (no process: on a host busy with 50 deploys, each program a step
 * starts costs a few ms of CPU); readlink only for a link whose release is gone. The working directory is restored.
 */
function currentLine(current: string): string {
  const q = shellQuote;
  const readlink = `link=$(readlink ${q(current)} 2>/dev/null || true); echo "current=\${link##*/}"`;
  return `convoy_wd=$PWD; if cd -P ${q(current)} 2>/dev/null; then echo "current=\${PWD##*/}"; cd "$convoy_wd"; else ${readlink}; fi`;
}

/**
 * The record, then the conf after its marker, in one `cat` (the marker comes from a here-document): one program
 * instead of two. The record keeps its last recordLength lines itself (appendRecordCommand), so cat reads what tail did.
 */
function recordAndConfLines(record: string, confPath: string): string[] {
  const q = shellQuote;
  return [
    `if [ -f ${q(confPath)} ]; then cat ${q(record)} - ${q(confPath)} 2>/dev/null <<'CONVOY-MARKER'`,
    confMarker,
    'CONVOY-MARKER',
    `else cat ${q(record)} 2>/dev/null; fi`,
  ];
}

/** What a script printed before its state read (a deploy's first read prints supervisord.conf there, then a newline). */
export function beforeState(stdout: string): string {
  const at = stdout.indexOf(`\n${stateMarker}\n`);
  return at < 0 ? stdout : stdout.slice(0, at);
}

export function parseInspect(stdout: string): RemoteState {
  const start = stdout.indexOf(`${stateMarker}\n`);
  const body = start < 0 ? stdout : stdout.slice(start + stateMarker.length + 1);
  const confAt = body.indexOf(`${confMarker}\n`);
  const beforeConf = confAt < 0 ? body : body.slice(0, confAt);
  const recordAt = beforeConf.indexOf(`${recordMarker}\n`);
  const head = recordAt < 0 ? beforeConf : beforeConf.slice(0, recordAt);
  const state: RemoteState = {
    current: undefined,
    entries: [],
    artifactCached: false,
    conf: confAt < 0 ? null : body.slice(confAt + confMarker.length + 1),
    lockOwner: undefined,
    record: recordAt < 0 ? [] : parseRecord(beforeConf.slice(recordAt + recordMarker.length + 1)),
    clashes: parseClashes(head),
  };
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1)];
    if (key === 'current' && value) state.current = value;
    else if (key === 'entry') state.entries.push(value);
    else if (key === 'artifact') state.artifactCached = true;
    else if (key === 'confunreadable') state.confUnreadable = true;
    else if (key === 'sharedmissing') state.sharedMissing = true;
    else if (key === 'lock') state.lockOwner = value;
    else if (key === 'secretskey' && /^[0-9a-f]{64}$/.test(value)) state.secretsKey = value;
  }
  return state;
}
