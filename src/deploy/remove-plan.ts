// `convoy remove` (docs/command-line.md): the pure parts. Where an app no task file describes keeps its root (its
// conf's `directory=`), whether a root may be purged, and the shell lines that read the conf and take the lock.
import path from 'node:path';
import { shellQuote } from '../shell/quote.ts';
import type { RecordEntry } from './record.ts';

/**
 * The root of an app whose conf Convoy wrote, read back from it: every program's `directory=` is `<root>/current`
 * (the default) or under it. Undefined when the programs disagree or set another directory.
 */
export function rootFromConf(conf: string): string | undefined {
  const dirs = [...conf.matchAll(/^directory=(.*)$/gm)].map((m) => (m[1] ?? '').trim());
  const roots = new Set(dirs.map((d) => /^(\/.*?)\/current(?:\/.*)?$/.exec(d)?.[1]));
  if (roots.size !== 1) return undefined;
  return [...roots][0];
}

export interface PurgeFacts {
  app: string;
  /** supervisord's include directory on the host: never under a purged root. */
  includeDir: string;
  /** The root is the app's task's `root` (else it was read from the conf). */
  fromTask: boolean;
  /** The host's deploy record under that root. */
  record: readonly RecordEntry[];
}

/** Why `root` may not be removed with `--purge`, or undefined when it may. */
export function purgeProblem(root: string, facts: PurgeFacts): string | undefined {
  if (!path.posix.isAbsolute(root) || path.posix.normalize(root) !== root)
    return `${root} is not a plain absolute path`;
  if (root.split('/').filter(Boolean).length < 2)
    return `${root} has fewer than 2 path components: Convoy never removes such a directory`;
  if (root.endsWith('/')) return `${root} is not a plain absolute path`;
  if (facts.includeDir === root || facts.includeDir.startsWith(`${root}/`))
    return `${root} holds supervisord's include directory ${facts.includeDir}`;
  if (!facts.fromTask && !facts.record.some((e) => e.app === facts.app))
    return (
      `${root} (read from the conf's directory=) has no deploy record of app '${facts.app}', so nothing proves it ` +
      `is the app's root: remove it by hand if it is`
    );
  return undefined;
}

const confMark = '---CONVOY-CONF---';
const unreadableMark = '---CONVOY-CONF-UNREADABLE---';

/** Prints the conf after a marker when it exists; `sudoCat`: read through `sudo -n` when the login cannot. */
export function readConfCommand(confPath: string, sudoCat: boolean): string {
  const p = shellQuote(confPath);
  const viaSudo = sudoCat ? `elif sudo -n -- true 2>/dev/null; then echo ${confMark}; sudo -n -- cat ${p}; ` : '';
  return `if [ -f ${p} ]; then if [ -r ${p} ]; then echo ${confMark}; cat ${p}; ${viaSudo}else echo ${unreadableMark}; fi; fi`;
}

/** The conf's text, null when there is none, or 'unreadable' (read it as root in a step of its own). */
export function parseConfRead(stdout: string): string | null | 'unreadable' {
  const at = stdout.indexOf(`${confMark}\n`);
  if (at >= 0) return stdout.slice(at + confMark.length + 1);
  return stdout.split('\n').includes(unreadableMark) ? 'unreadable' : null;
}

const noRootMark = '---CONVOY-NO-ROOT---';

/** `script` only when the root exists (a removal never creates it: the lock is taken only then), else a marker. */
export function ifRootCommand(root: string, script: string): string {
  return `if [ -d ${shellQuote(root)} ]; then\n${script}\nelse echo ${noRootMark}; fi`;
}

export function rootWasAbsent(stdout: string): boolean {
  return stdout.split('\n').includes(noRootMark);
}

/** Removes the root, as whoever runs it (the login first, root where the login cannot). */
export function purgeCommand(root: string): string {
  return `rm -rf -- ${shellQuote(root)}`;
}
