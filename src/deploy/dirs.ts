// The app's own directories on a host (its root, its log directory): made for the login, never taken from someone.
import path from 'node:path';
import { shellQuote } from '../shell/quote.ts';

const answerMarker = '---CONVOY-DIR---';

/** As the login: create `dir` if it can (mode 0755 whatever its umask), then say whether it may write there. */
export function loginDirCommand(dir: string): string {
  const d = shellQuote(dir);
  return `(umask 022; mkdir -p ${d}) 2>/dev/null; test -d ${d} && test -w ${d}`;
}

/**
 * As root, for a directory the login could not make: creates it (0755, the login's) only when it does not exist;
 * the parents it has to create stay root's (0755). An existing directory is never handed over: chowning `/opt` or
 * `/var/log/supervisor` to the login would give it a place root's own jobs trust (logrotate runs as root there).
 */
export function createDirForLoginCommand(dir: string, user: string): string {
  const d = shellQuote(dir);
  const parent = shellQuote(path.posix.dirname(dir));
  return [
    `if [ -e ${d} ] || [ -L ${d} ]; then echo ${answerMarker}exists; exit 0; fi`,
    `umask 022 && mkdir -p ${parent} && mkdir ${d} && chown ${shellQuote(user)}: ${d} && echo ${answerMarker}created`,
  ].join('\n');
}

/** What the root step found: `created`, `exists`, or undefined when it said neither (it failed). */
export function parseDirAnswer(stdout: string): 'created' | 'exists' | undefined {
  const found = new RegExp(`^${answerMarker}(created|exists)$`, 'm').exec(stdout)?.[1];
  return found === 'created' || found === 'exists' ? found : undefined;
}

/** What to tell the user about a directory that exists and that the login may not write. */
export function notWritableMessage(dir: string, user: string): string {
  return (
    `${dir} exists and the login ${user} cannot write it; Convoy hands the login only directories it creates. ` +
    `Choose a directory of the app's own (root: '/srv/<app>', logDir under it), or make ${dir} writable for ${user} yourself if that is what you want`
  );
}
