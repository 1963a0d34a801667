// The artifact on this machine: its content hash (the release's identity) and the one file to upload.
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import { UsageError } from '../errors.ts';
import { shellQuote } from '../shell/quote.ts';
import type { TreeEntry } from './delta.ts';
import { HashCache, sha256OfFile } from './hash-cache.ts';

export type ArtifactKind = 'tar.gz' | 'tar' | 'file';

/** The one file a whole upload sends, and its sha256 to verify it on the host. */
export interface WholeFile {
  localPath: string;
  fileSha256: string;
  bytes: number;
}

export interface PreparedArtifact {
  source: string;
  kind: ArtifactKind;
  /** The release's identity: the file's sha256, or for a directory a hash of its tree (not of the tar's bytes). */
  sha256: string;
  /**
   * The file to upload whole: for a directory a tar, built in a temp dir on first use only (a deploy whose hosts have
   * the release, or take the delta upload, never builds it: packing 20 MB was 0.26 s of every such run).
   */
  wholeFile(): Promise<WholeFile>;
  /** The whole file's size; for a directory, until its tar is built, the tar's size as its entries make it. */
  bytes: number;
  /** Name in the host's artifact cache: content-addressed, so a host that has it needs nothing. */
  cacheName: string;
  /** A directory's entries, for delta uploads (src/deploy/delta-stage.ts); `workDir` is this run's temp dir. */
  tree?: { entries: TreeEntry[]; workDir: string };
  cleanup(): Promise<void>;
}

/** Every entry under `dir`, sorted, as relative POSIX paths (directories included, so empty ones survive). */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const entries = (await readdir(path.join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  );
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
  }
  return out;
}

/** Each entry of a directory as the release will have it: kind, mode, and a file's sha256 and size or a link's target. */
async function readTree(dir: string, paths: readonly string[], hashes: HashCache): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  for (const rel of paths) {
    const full = path.join(dir, rel);
    const info = await lstat(full);
    const mode = info.mode & 0o777;
    if (info.isSymbolicLink()) entries.push({ path: rel, kind: 'link', mode, target: await readlink(full) });
    else if (info.isDirectory()) entries.push({ path: rel, kind: 'dir', mode });
    else entries.push({ path: rel, kind: 'file', mode, sha256: await hashes.sha256(full), size: info.size });
  }
  return entries;
}

/** A directory's identity: paths, modes, link targets and contents, not mtimes, so a rebuild of the same tree is the same release. */
function hashTree(entries: readonly TreeEntry[]): string {
  const hash = createHash('sha256');
  for (const e of entries) {
    const what = e.kind === 'link' ? `link:${e.target}` : e.kind === 'dir' ? 'dir' : `file:${e.sha256}`;
    hash.update(`${e.path}\0${e.mode.toString(8)}\0${what}\n`);
  }
  return hash.digest('hex');
}

const tarDirPrefix = 'convoy-artifact-';

/**
 * A new temp dir for this run's tar, named with this process's pid. A run killed with SIGKILL cannot remove its own
 * (a 20 MB tar per killed CI job adds up), so each run first removes those whose process is gone; a name without a
 * pid, or a live pid, is not ours to judge and is left alone.
 */
async function tarDir(): Promise<string> {
  const root = os.tmpdir();
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    const pid = /^convoy-artifact-(\d+)-[^-]+$/.exec(name)?.[1];
    if (pid && !processExists(Number(pid))) await rm(path.join(root, name), { recursive: true, force: true });
  }
  return mkdtemp(path.join(root, `${tarDirPrefix}${process.pid}-`));
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function statArtifact(source: string) {
  try {
    return await stat(source);
  } catch {
    throw new UsageError(`artifact ${source} not found (build it first, or fix \`artifact\` in the task file)`);
  }
}

/** The release identity of an artifact (PreparedArtifact's `sha256`) without packing it: what `plan` compares. */
export async function artifactDigest(source: string): Promise<string> {
  const info = await statArtifact(source);
  const hashes = await HashCache.open();
  const digest = info.isDirectory()
    ? hashTree(await readTree(source, await walk(source), hashes))
    : await hashes.sha256(source);
  await hashes.save();
  return digest;
}

/** A directory's tar, portable (no owners), its entries in the tree's order. */
async function packTree(source: string, entries: readonly string[], localPath: string): Promise<WholeFile> {
  // maxReadSize: tar reads each file in 16 MB buffers by default; 1 MB is as fast and keeps the peak down.
  await createTar(
    { cwd: source, file: localPath, portable: true, noDirRecurse: true, maxReadSize: 1024 * 1024 },
    entries.length > 0 ? [...entries] : ['.'],
  );
  return { localPath, fileSha256: await sha256OfFile(localPath), bytes: (await stat(localPath)).size };
}

/**
 * The size a tar of the tree has: a 512-byte header per entry, each file's bytes padded to 512, two zero blocks at
 * the end (plus a pax header where a path is too long for the header's 100 bytes, so an estimate there).
 */
function tarBytes(tree: readonly TreeEntry[]): number {
  const block = 512;
  const padded = (n: number) => Math.ceil(n / block) * block;
  const long = (e: TreeEntry) => (Buffer.byteLength(e.path) > 99 ? 3 * block : 0);
  const body = tree.reduce((sum, e) => sum + block + long(e) + (e.kind === 'file' ? padded(e.size ?? 0) : 0), 0);
  return body + 2 * block;
}

/** The artifact's identity and how to send it; its files' hashes come from the hash cache where stat allows. */
export async function prepareArtifact(source: string): Promise<PreparedArtifact> {
  const hashes = await HashCache.open();
  const prepared = await prepareWith(source, hashes);
  await hashes.save();
  return prepared;
}

async function prepareWith(source: string, hashes: HashCache): Promise<PreparedArtifact> {
  const info = await statArtifact(source);
  if (info.isDirectory()) {
    const entries = await walk(source);
    const tree = await readTree(source, entries, hashes);
    const sha256 = hashTree(tree);
    const tmp = await tarDir();
    let whole: Promise<WholeFile> | undefined;
    return {
      source,
      kind: 'tar',
      sha256,
      wholeFile: () => (whole ??= packTree(source, entries, path.join(tmp, `${sha256}.tar`))),
      bytes: tarBytes(tree),
      cacheName: `${sha256}.tar`,
      tree: { entries: tree, workDir: tmp },
      cleanup: () => rm(tmp, { recursive: true, force: true }),
    };
  }
  const sha256 = await hashes.sha256(source);
  const base = path.basename(source);
  const kind: ArtifactKind = /\.(tar\.gz|tgz)$/.test(base) ? 'tar.gz' : base.endsWith('.tar') ? 'tar' : 'file';
  const cacheName = kind === 'file' ? `${sha256}-${base.replace(/[^A-Za-z0-9._-]/g, '_')}` : `${sha256}.${kind}`;
  return {
    source,
    kind,
    sha256,
    wholeFile: async () => ({ localPath: source, fileSha256: sha256, bytes: info.size }),
    bytes: info.size,
    cacheName,
    cleanup: async () => {},
  };
}

/** The shell command that puts a cached artifact's content into a release directory. */
export function unpackCommand(
  kind: ArtifactKind,
  cachedFile: string,
  releaseDir: string,
  originalName: string,
): string {
  const file = shellQuote(cachedFile);
  const dir = shellQuote(releaseDir);
  // As root GNU tar keeps the archive's owners and modes: a CI-built archive (uid 1001, 0777) would leave files owned
  // by whoever has uid 1001 on the host, writable by all. The release belongs to the login, modes under its umask.
  const asLogin = '--no-same-owner --no-same-permissions';
  if (kind === 'tar.gz') return `tar -xzf ${file} ${asLogin} -C ${dir}`;
  if (kind === 'tar') return `tar -xf ${file} ${asLogin} -C ${dir}`;
  return `cp ${file} ${shellQuote(`${releaseDir}/${path.basename(originalName)}`)}`;
}
