// Log text full of 2-, 3- and 4-byte UTF-8 characters, laid out so that given windows start inside a character.

const phrase = 'café ✓ 日本語 😀 Ærøskøbing — ñandú';

/** `count` different lines of mostly non-ASCII text, each starting with `tag` and its number. */
export function textLines(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${tag} ${i} ${phrase} ${'日本'.repeat(i % 7)}${'é'.repeat(i % 5)}`);
}

/** True when the byte at `at` continues a character (so a window starting there is not valid UTF-8). */
export const isContinuation = (bytes: Buffer, at: number): boolean =>
  at > 0 && at < bytes.length && ((bytes[at] ?? 0) & 0xc0) === 0x80;

/** Lines (an ASCII one last, padded) whose file's last `window` bytes start mid-character, for each of `windows`. */
export function linesCutAt(tag: string, count: number, windows: readonly number[]): string[] {
  const body = textLines(tag, count);
  for (let pad = 0; pad < 200; pad++) {
    const all = [...body, `${tag} end ${'x'.repeat(pad)}`];
    const bytes = Buffer.from(all.join('\n') + '\n');
    if (windows.every((w) => isContinuation(bytes, bytes.length - w))) return all;
  }
  throw new Error(`no padding makes every window of ${tag} cut a character`);
}
