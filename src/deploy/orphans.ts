// Orphaned confs (`convoy check <target>`): confs in supervisord's include directory that carry Convoy's marker line
// for an app no task file describes any more. Their programs still run; `convoy remove` takes them off.
import { shellQuote } from '../shell/quote.ts';
import { confMarker } from './conf-owner.ts';

export interface MarkedConf {
  /** The conf's path on the host. */
  file: string;
  /** The app its marker names. */
  app: string;
}

export interface IncludeDirListing {
  marked: MarkedConf[];
  /** Confs that could not be read (the login without sudo, a conf only root may read). */
  unreadable: string[];
}

/** Each conf's first line (`conf=<file>\t<line>`), or `unreadable=<file>`. */
export function listConfsCommand(includeDir: string, extension: string): string {
  return [...confLines(shellQuote(includeDir), shellQuote(extension)), 'exit 0'].join('\n');
}

/** The loop of `listConfsCommand` over shell words (quoted values, or `"$dir"` for a directory found on the host). */
export function confLines(dirWord: string, extensionWord: string): string[] {
  return [
    `for f in ${dirWord}/*${extensionWord}; do`,
    '  [ -f "$f" ] || continue',
    '  if line=$(head -n 1 "$f" 2>/dev/null); then printf \'conf=%s\\t%s\\n\' "$f" "$line"; else echo "unreadable=$f"; fi',
    'done',
  ];
}

// The marker with the app's name taken out: what comes before and after it.
const [markerHead = '', markerTail = ''] = confMarker('\u0000').split('\u0000');

/** The app a first line marks as Convoy's, or undefined. */
export function markedApp(firstLine: string): string | undefined {
  if (!firstLine.startsWith(markerHead) || !firstLine.endsWith(markerTail)) return undefined;
  const app = firstLine.slice(markerHead.length, firstLine.length - markerTail.length);
  return app === '' || app.includes("'") ? undefined : app;
}

export function parseConfList(stdout: string): IncludeDirListing {
  const listing: IncludeDirListing = { marked: [], unreadable: [] };
  for (const line of stdout.split('\n')) {
    if (line.startsWith('unreadable=')) listing.unreadable.push(line.slice('unreadable='.length));
    if (!line.startsWith('conf=')) continue;
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const app = markedApp(line.slice(tab + 1));
    if (app !== undefined) listing.marked.push({ file: line.slice('conf='.length, tab), app });
  }
  return listing;
}

/** The marked confs whose app is not among `known`. */
export function orphaned(listing: IncludeDirListing, known: ReadonlySet<string>): MarkedConf[] {
  return listing.marked.filter((c) => !known.has(c.app));
}
