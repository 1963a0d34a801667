import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HashCache, hashCacheFile } from '../../../src/deploy/hash-cache.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-hash-cache-'));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const later = () => Date.now() + 10_000;

/** Writes a cache whose one entry says `claimed` for `file` as stat sees it now, hashed `atMs`. */
function planted(cacheFile: string, file: string, claimed: string, atMs: number): void {
  const s = statSync(file, { bigint: true });
  const id = `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  const entry = { id, sha256: claimed, at: String(BigInt(atMs) * 1_000_000n) };
  writeFileSync(cacheFile, JSON.stringify({ [file]: entry }));
}

test('a file stat shows unchanged since it was hashed is not read again: the cached hash is the answer', async () => {
  const file = path.join(dir, 'a.bin');
  writeFileSync(file, 'first');
  const cacheFile = path.join(dir, 'c1', 'cache.json');
  const cache = await HashCache.open(cacheFile, later);
  assert.equal(await cache.sha256(file), sha('first'));
  await cache.save();
  assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
  // What the next run trusts is what the cache says (planted here to show that the file is not read).
  planted(cacheFile, file, 'f'.repeat(64), later());
  assert.equal(await (await HashCache.open(cacheFile, later)).sha256(file), 'f'.repeat(64));
});

test('a file changed since (size, mtime, ctime or another inode) is hashed again', async () => {
  const file = path.join(dir, 'b.bin');
  writeFileSync(file, 'one');
  const cacheFile = path.join(dir, 'c2.json');
  planted(cacheFile, file, 'f'.repeat(64), later());
  appendFileSync(file, ' two');
  assert.equal(await (await HashCache.open(cacheFile, later)).sha256(file), sha('one two'));
  writeFileSync(`${file}.new`, 'one two');
  planted(cacheFile, file, 'f'.repeat(64), later());
  renameSync(`${file}.new`, file);
  assert.equal(await (await HashCache.open(cacheFile, later)).sha256(file), sha('one two'));
});

test('an entry hashed within 2 s of the file last changing is not trusted (racily clean, as git says)', async () => {
  const file = path.join(dir, 'c.bin');
  writeFileSync(file, 'racy');
  const cacheFile = path.join(dir, 'c3.json');
  planted(cacheFile, file, 'f'.repeat(64), Date.now());
  assert.equal(await (await HashCache.open(cacheFile, later)).sha256(file), sha('racy'));
});

test('a damaged cache is an empty one; the cache lives under XDG_CACHE_HOME, else ~/.cache', async () => {
  const file = path.join(dir, 'd.bin');
  writeFileSync(file, 'x');
  const cacheFile = path.join(dir, 'c4.json');
  writeFileSync(cacheFile, '{not json');
  const cache = await HashCache.open(cacheFile, later);
  assert.equal(await cache.sha256(file), sha('x'));
  await cache.save();
  assert.ok(JSON.parse(readFileSync(cacheFile, 'utf8'))[file]);
  assert.equal(hashCacheFile({ XDG_CACHE_HOME: '/x' }), '/x/convoy/file-sha256-v1.json');
  assert.equal(hashCacheFile({ HOME: '/h' }), '/h/.cache/convoy/file-sha256-v1.json');
});
