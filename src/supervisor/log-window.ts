// Where a window of a program's log may start and end. supervisord decodes the bytes of every window it reads
// strictly as UTF-8 before sending them (supervisor/options.py readFile and tailFile, then compat.as_string), so a
// window that starts or ends inside a character cannot be read at all: both ends must fall between characters.

/** The bytes [start, end) of a log. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The longest UTF-8 character: the character boundary before any position is at most 3 bytes back. */
export const maxCharBytes = 4;

/**
 * The small reads that find the last character boundary at or before `position`: a read [b - i, b) decodes only
 * when a whole character ends at b, so b is a boundary when one of them (i = 1 to 4) succeeds. `floor` is a known
 * boundary (the log's start, or where the previous read ended): the search goes no further back.
 */
export function boundaryProbes(position: number, floor: number): ByteRange[] {
  const probes: ByteRange[] = [];
  for (let end = position; end > floor && end > position - maxCharBytes; end--) {
    for (let bytes = 1; bytes <= Math.min(maxCharBytes, end - floor); bytes++) probes.push({ start: end - bytes, end });
  }
  return probes;
}

/**
 * The last character boundary at or before `position` that the answers to `boundaryProbes(position, floor)` prove
 * (`decoded[i]` for `probes[i]`); `floor` when no boundary after it is that close; undefined when none is within
 * a character's length, which valid UTF-8 cannot do.
 */
export function lastBoundary(
  position: number,
  floor: number,
  probes: readonly ByteRange[],
  decoded: readonly boolean[],
): number | undefined {
  const proven = probes.filter((p, i) => decoded[i] === true && p.end > floor && p.end <= position).map((p) => p.end);
  if (proven.length > 0) return Math.max(...proven);
  return position - floor < maxCharBytes ? floor : undefined;
}
