// Release ids and which releases to keep: ids sort by time, and carry the artifact's content hash.

const idPattern = /^(\d{8}T\d{6}Z)-([0-9a-f]{8,64})$/;

/** `20261125T204900Z-1a2b3c4d`: UTC time of the deploy, then the first 8 hex digits of the artifact's sha256. */
export function releaseId(now: Date, sha256: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${sha256.slice(0, 8)}`;
}

export function isReleaseId(name: string): boolean {
  return idPattern.test(name);
}

/** The content hash part of a release id. */
export function releaseHash(id: string): string | undefined {
  return idPattern.exec(id)?.[2];
}

/** An existing release holding the same artifact, newest first: reused instead of uploading again. */
export function findReleaseWithHash(releases: readonly string[], sha256: string): string | undefined {
  return [...releases]
    .filter(isReleaseId)
    .sort()
    .reverse()
    .find((id) => sha256.startsWith(releaseHash(id) ?? '-'));
}

/** The release before `current` (what `rollback` goes back to). */
export function previousRelease(releases: readonly string[], current: string | undefined): string | undefined {
  const sorted = [...releases].filter(isReleaseId).sort();
  const at = current === undefined ? sorted.length : sorted.indexOf(current);
  return at > 0 ? sorted[at - 1] : undefined;
}

/**
 * Releases to delete: all but the newest `keep` (current and `protect` always stay), plus leftovers of interrupted
 * stages (`*.partial`, except `protect`) — the deploy holds the app's lock, so no other stage is in flight.
 */
export function releasesToPrune(
  entries: readonly string[],
  current: string | undefined,
  keep: number,
  protect: readonly string[] = [],
): string[] {
  const kept = new Set([...(current ? [current] : []), ...protect]);
  const releases = entries.filter(isReleaseId).sort().reverse();
  const old = releases.slice(keep).filter((id) => !kept.has(id));
  const partial = entries.filter((e) => e.endsWith('.partial') && !kept.has(e));
  return [...old, ...partial].sort();
}
