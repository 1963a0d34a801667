// Release ids and which releases to keep: ids sort by time, and carry the artifact's content hash.
import { compactUtc } from '../units/time.ts';

const idPattern = /^(\d{8}T\d{6}Z)-([0-9a-f]{8,64})$/;

/**
 * `20261125T204900Z-1a2b3c4d5e6f7a8b`: UTC time of the deploy, then the first 16 hex digits of the artifact's sha256
 * (64 bits: enough that an existing release found by it holds the same content).
 */
export function releaseId(now: Date, sha256: string): string {
  return `${compactUtc(now)}-${sha256.slice(0, reuseDigits)}`;
}

/** Hex digits of the hash a release must carry to be reused (older releases carry 8: never reused). */
const reuseDigits = 16;

export function isReleaseId(name: string): boolean {
  return idPattern.test(name);
}

/** The release holds this artifact: its id carries (at least) 64 bits of the same hash. */
export function sameContent(id: string, sha256: string): boolean {
  const hash = releaseHash(id);
  return hash !== undefined && hash.length >= reuseDigits && sha256.startsWith(hash);
}

/** The content hash part of a release id. */
export function releaseHash(id: string): string | undefined {
  return idPattern.exec(id)?.[2];
}

/**
 * The marker beside `releases/<id>` while its afterUpload hook runs there: the hook sees the path the release keeps
 * (a venv's scripts record it), and a stage cut off mid-hook is known as unfinished.
 */
export function stagingMarker(id: string): string {
  return `${id}.staging`;
}

/** Releases whose stage did not finish (a staging marker is left beside them). */
export function unfinishedReleases(entries: readonly string[]): string[] {
  return entries.filter((e) => isReleaseId(e) && entries.includes(stagingMarker(e)));
}

/** An existing, finished release holding the same artifact, newest first: reused instead of uploading again. */
export function findReleaseWithHash(entries: readonly string[], sha256: string): string | undefined {
  const unfinished = unfinishedReleases(entries);
  return [...entries]
    .filter((e) => isReleaseId(e) && !unfinished.includes(e))
    .sort()
    .reverse()
    .find((id) => sameContent(id, sha256));
}

/**
 * Releases to delete, beyond `current` and `protect` (which always stay):
 * - with a deploy record (`live`: releases that were verified on the host, most recent first): every release that
 *   was never live (failed, or staged and never switched to) goes first and does not count, then all but the `keep`
 *   most recently live;
 * - without one (hosts deployed before Convoy kept a record): all but the newest `keep` by id;
 * plus leftovers of interrupted stages (`*.partial`, and releases left with a staging marker, with the marker): the
 * deploy holds the app's lock, so no other stage is in flight.
 */
export function releasesToPrune(
  entries: readonly string[],
  current: string | undefined,
  keep: number,
  protect: readonly string[] = [],
  live: readonly string[] = [],
): string[] {
  const kept = new Set([...(current ? [current] : []), ...protect]);
  const releases = entries.filter(isReleaseId);
  const ranked = live.length > 0 ? live.filter((id) => releases.includes(id)) : [...releases].sort().reverse();
  const neverLive = live.length > 0 ? releases.filter((id) => !live.includes(id)) : [];
  const old = [...ranked.slice(keep), ...neverLive].filter((id) => !kept.has(id));
  const unfinished = unfinishedReleases(entries).filter((id) => !kept.has(id));
  const leftovers = entries.filter((e) => e.endsWith('.partial') || e.endsWith('.staging'));
  const partial = leftovers.filter((e) => !kept.has(e) && !kept.has(e.replace(/\.staging$/, '')));
  return [...new Set([...old, ...unfinished, ...partial])].sort();
}

/**
 * The release a deploy of content `sha256` puts on a host: `current` when it holds that content, else an existing
 * release with it (`existing`: nothing to stage), else a new id. Shared by deploy and `plan`, so they cannot disagree.
 */
export function chooseRelease(
  host: { current: string | undefined; entries: readonly string[] },
  sha256: string,
  now: Date,
): { release: string; existing: boolean } {
  const { current, entries } = host;
  const currentMatches = current !== undefined && sameContent(current, sha256) && entries.includes(current);
  const existing = currentMatches ? current : findReleaseWithHash(entries, sha256);
  return { release: existing ?? releaseId(now, sha256), existing: existing !== undefined };
}
