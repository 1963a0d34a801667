// The sha256 of artifact files already hashed, by what stat says of them, as git's index does for `git status`: a
// deploy of an unchanged 20 MB artifact read and hashed it again on every run (0.12 s of CPU here, before anything
// reached a host). Kept in ~/.cache/convoy (XDG_CACHE_HOME), mode 0600.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What the hash was taken of: device, inode, size, mtime and ctime (ns; ctime cannot be set back by tools). */
interface Entry {
  id: string;
  sha256: string;
  /** When the hash was taken (ns since the epoch, as a string). */
  at: string;
}

/**
 * A file changed within this long of the hash's time could have changed again within the same timestamp (coarse
 * filesystem clocks): such an entry is not trusted, the file is hashed again (git's "racily clean" rule).
 */
const racyNs = 2_000_000_000n;
/** Entries kept: the most recently hashed (a project's artifacts are a few thousand files at most). */
const maxEntries = 20_000;

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function hashCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'convoy', 'file-sha256-v1.json');
}

export class HashCache {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, Entry>,
    private readonly nowMs: () => number,
  ) {}

  /** The cache at `file`; an unreadable or damaged one is an empty one (it only saves work). */
  static async open(file = hashCacheFile(), nowMs: () => number = Date.now): Promise<HashCache> {
    let entries = new Map<string, Entry>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, Entry>;
      entries = new Map(Object.entries(parsed).filter(([, e]) => typeof e?.sha256 === 'string'));
    } catch {
      // none yet, or not ours to read: hash everything
    }
    return new HashCache(file, entries, nowMs);
  }

  /** The file's sha256: from the cache where stat shows the very file hashed (and not racily), else hashed now. */
  async sha256(file: string): Promise<string> {
    const key = path.resolve(file);
    const before = await stat(key, { bigint: true });
    const id = `${before.dev}:${before.ino}:${before.size}:${before.mtimeNs}:${before.ctimeNs}`;
    const known = this.entries.get(key);
    const newest = before.mtimeNs > before.ctimeNs ? before.mtimeNs : before.ctimeNs;
    if (known?.id === id && newest + racyNs < BigInt(known.at)) return known.sha256;
    const at = BigInt(this.nowMs()) * 1_000_000n;
    const sha256 = await sha256OfFile(key);
    this.entries.delete(key);
    this.entries.set(key, { id, sha256, at: String(at) });
    this.changed = true;
    return sha256;
  }

  /** Written whole (a new file renamed over the old one) when this run hashed anything; a failure to write is ignored. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const kept = [...this.entries].slice(-maxEntries);
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFile(tmp, JSON.stringify(Object.fromEntries(kept)), { mode: 0o600 });
      await rename(tmp, this.file);
      this.changed = false;
    } catch {
      // a read-only home: the next run hashes again
    }
  }
}
