// Delta uploads of a directory artifact (docs/deploy.md, "Delta uploads"): the pure part. A host keeps a
// content-addressed store of file contents under the app's root; a release is built from hardlinks into it, so a
// deploy sends only the contents the host lacks. The scripts here are built as strings and unit-tested exactly.
import { shellQuote } from '../shell/quote.ts';

/** One entry of a directory artifact, as this machine read it (paths relative, POSIX, parents before children). */
export interface TreeEntry {
  path: string;
  kind: 'dir' | 'file' | 'link';
  /** Permission bits as the artifact has them (`lstat`'s mode & 0o777). */
  mode: number;
  /** Files: the content's sha256 and size. */
  sha256?: string;
  size?: number;
  /** Links: the target, as written. */
  target?: string;
}

/** Where the store lives: beside the artifact cache, on the same filesystem as `releases/` (hardlinks need that). */
export function objectsDir(root: string): string {
  return `${root}/.convoy/objects`;
}

/**
 * A stored file's mode: the artifact's less every write bit. Store files are read-only so that an in-place edit of
 * one release's file fails instead of changing every release that shares the inode.
 */
export function objectMode(mode: number): number {
  return mode & 0o555;
}

/** `<sha256>-<mode>`: the mode is part of the key because a hardlink shares it with every release. */
export function objectKey(entry: Pick<TreeEntry, 'sha256' | 'mode'>): string {
  if (entry.sha256 === undefined) throw new Error('a store object needs a sha256');
  return `${entry.sha256}-${objectMode(entry.mode).toString(8).padStart(3, '0')}`;
}

const keyPattern = /^[0-9a-f]{64}-[0-7]{3}$/;

/** Every store key of the tree, once each, with its size: what the host is asked about. */
export function treeObjects(entries: readonly TreeEntry[]): Map<string, number> {
  const objects = new Map<string, number>();
  for (const e of entries) if (e.kind === 'file') objects.set(objectKey(e), e.size ?? 0);
  return new Map([...objects].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The first round trip: makes the store, says the free space there, then prints `missing=<key>` for each key the
 * store lacks. Keys are hex and octal digits only (checked here), so they go in the script as bare words.
 */
export function missingObjectsScript(store: string, keys: readonly string[]): string {
  for (const k of keys) if (!keyPattern.test(k)) throw new Error(`not a store key: ${k}`);
  const q = shellQuote(store);
  return [
    `mkdir -p ${q} && cd ${q} || exit 1`,
    `echo "df=$(df -Pk . | tail -n 1)"`,
    'if command -v python3 >/dev/null 2>&1; then echo python=1; fi',
    `for k in ${keys.join(' ')}; do [ -f "$k" ] || echo "missing=$k"; done`,
  ].join('\n');
}

/** What the first round trip said: the keys to send (only those asked about), the store's free bytes, python3. */
export interface MissingAnswer {
  missing: string[];
  free?: number;
  python: boolean;
}

export function parseMissing(stdout: string, asked: ReadonlyMap<string, number>): MissingAnswer {
  const answer: MissingAnswer = { missing: [], python: false };
  for (const line of stdout.split('\n')) {
    if (line.startsWith('missing=') && asked.has(line.slice(8))) answer.missing.push(line.slice(8));
    if (line === 'python=1') answer.python = true;
    if (line.startsWith('df=')) {
      const kb = Number(line.slice(3).trim().split(/\s+/)[3]);
      if (Number.isFinite(kb)) answer.free = kb * 1024;
    }
  }
  return answer;
}

/** The bytes of the contents behind `keys`. */
export function objectBytes(objects: ReadonlyMap<string, number>, keys: readonly string[]): number {
  return keys.reduce((sum, k) => sum + (objects.get(k) ?? 0), 0);
}

/** Where the uploaded tar of missing objects goes, and where it is unpacked before it is verified. */
export function incomingPaths(store: string, release: string): { tar: string; dir: string } {
  return { tar: `${store}/.incoming-${release}.tar`, dir: `${store}/.incoming-${release}` };
}

/**
 * Into the store: the uploaded tar unpacked apart, each object's sha256 checked against its key (one `sha256sum -c`),
 * made read-only with its key's mode, then moved in. Nothing enters the store unverified.
 */
export function storeObjectsScript(store: string, release: string, keys: readonly string[]): string {
  if (keys.length === 0) return '';
  const q = shellQuote;
  const inc = incomingPaths(store, release);
  const byMode = new Map<string, string[]>();
  for (const k of keys) byMode.set(k.slice(65), [...(byMode.get(k.slice(65)) ?? []), k]);
  return [
    `rm -rf ${q(inc.dir)} && mkdir ${q(inc.dir)} && cd ${q(inc.dir)}`,
    `tar -xf ${q(inc.tar)} --no-same-owner --no-same-permissions`,
    `sha256sum -c --quiet <<'CONVOY-SUMS'`,
    ...keys.map((k) => `${k.slice(0, 64)}  ${k}`),
    'CONVOY-SUMS',
    ...[...byMode].map(([mode, ks]) => `chmod 0${mode} -- ${ks.join(' ')}`),
    `mv -f -- ${keys.join(' ')} ${q(store)}/`,
    `cd / && rm -rf ${q(inc.dir)} ${q(inc.tar)}`,
  ].join('\n');
}

/**
 * The release's tree in `dir` (the `.partial` directory, which exists): directories made, each file a hardlink to
 * its store object, symlinks as the artifact has them, then directory modes (less 022, as tar without
 * --same-permissions does), deepest first so that a read-only directory is filled before it is closed. With
 * `python3` on the host, one process does it all from JSON lines (measured: 500 `ln` processes took 75 s on a loaded
 * 2-core machine); without it, one `ln` per file.
 */
export function buildTreeScript(store: string, dir: string, entries: readonly TreeEntry[], python = false): string {
  return python ? buildWithPython(store, dir, entries) : buildWithSh(store, dir, entries);
}

/** Python's side of the build: argv store and dir, one JSON array per entry on stdin. */
const pythonBuild = [
  'import json,os,sys',
  's,d=sys.argv[1],sys.argv[2];m=[]',
  'for l in sys.stdin:',
  ' k,p,v=json.loads(l);p=os.path.join(d,p)',
  " if k=='d':os.makedirs(p,exist_ok=True);m.append((p,v))",
  " elif k=='f':os.link(os.path.join(s,v),p)",
  ' else:os.symlink(v,p)',
  'for p,v in reversed(m):os.chmod(p,v)',
].join('\n');

function buildWithPython(store: string, dir: string, entries: readonly TreeEntry[]): string {
  const q = shellQuote;
  // JSON escapes newlines and quotes in names: each entry is one line of the here-document, never the delimiter.
  const lines = entries.map((e) =>
    JSON.stringify(
      e.kind === 'dir'
        ? ['d', e.path, e.mode & 0o755]
        : e.kind === 'file'
          ? ['f', e.path, objectKey(e)]
          : ['l', e.path, e.target ?? ''],
    ),
  );
  return [`python3 -c ${q(pythonBuild)} ${q(store)} ${q(dir)} <<'CONVOY-TREE'`, ...lines, 'CONVOY-TREE'].join('\n');
}

function buildWithSh(store: string, dir: string, entries: readonly TreeEntry[]): string {
  const q = shellQuote;
  const dirs = entries.filter((e) => e.kind === 'dir');
  const lines = [`o=${q(store)}`, `cd ${q(dir)}`, 'l() { ln -- "$o/$1" "$2"; }'];
  if (dirs.length > 0) lines.push(`mkdir -p -- ${dirs.map((d) => q(d.path)).join(' ')}`);
  for (const e of entries) {
    if (e.kind === 'file') lines.push(`l ${objectKey(e)} ${q(e.path)}`);
    if (e.kind === 'link') lines.push(`ln -s -- ${q(e.target ?? '')} ${q(e.path)}`);
  }
  const modes = dirs.filter((d) => (d.mode & 0o755) !== 0o755).reverse();
  lines.push(...modes.map((d) => `chmod 0${(d.mode & 0o755).toString(8)} -- ${q(d.path)}`));
  return lines.join('\n');
}

/**
 * With the prune, under the app's lock: objects no release links to any more (link count 1: only the store's name)
 * and leftovers of interrupted uploads.
 */
export function pruneObjectsScript(store: string): string {
  const q = shellQuote(store);
  return [
    `if [ -d ${q} ]; then`,
    `find ${q} -mindepth 1 -maxdepth 1 -type f -name '*-[0-7][0-7][0-7]' -links 1 -exec rm -f -- {} +`,
    `rm -rf ${q}/.incoming-*`,
    'fi',
  ].join('\n');
}
