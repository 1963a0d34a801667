// What a host has of an app, read in one round trip: current release, releases, cached artifact, conf bytes, lock.
import { shellQuote } from '../shell/quote.ts';

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
}

const confMarker = '---CONVOY-CONF---';

export function inspectCommand(paths: AppPaths, cacheName: string): string {
  const q = shellQuote;
  return [
    `link=$(readlink ${q(paths.current)} 2>/dev/null || true); echo "current=\${link##*/}"`,
    `if [ -d ${q(paths.releasesDir)} ]; then for d in ${q(paths.releasesDir)}/*; do [ -e "$d" ] && echo "entry=\${d##*/}"; done; fi`,
    cacheName ? `if [ -f ${q(`${paths.cacheDir}/${cacheName}`)} ]; then echo artifact=1; fi` : '',
    `if [ -e ${q(paths.lockDir)} ]; then echo "lock=$(head -n 1 ${q(`${paths.lockDir}/owner`)} 2>/dev/null || echo unknown)"; fi`,
    `if [ -f ${q(paths.confPath)} ]; then echo ${confMarker}; cat ${q(paths.confPath)}; fi`,
    'exit 0',
  ]
    .filter(Boolean)
    .join('\n');
}

export function parseInspect(stdout: string): RemoteState {
  const at = stdout.indexOf(`${confMarker}\n`);
  const head = at < 0 ? stdout : stdout.slice(0, at);
  const state: RemoteState = {
    current: undefined,
    entries: [],
    artifactCached: false,
    conf: at < 0 ? null : stdout.slice(at + confMarker.length + 1),
    lockOwner: undefined,
  };
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1)];
    if (key === 'current' && value) state.current = value;
    else if (key === 'entry') state.entries.push(value);
    else if (key === 'artifact') state.artifactCached = true;
    else if (key === 'lock') state.lockOwner = value;
  }
  return state;
}
