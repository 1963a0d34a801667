// Log bytes shown as text whatever they hold: valid UTF-8 as its characters, every other byte as a `\xNN` escape.
// supervisord sends logs only as UTF-8 text (a window that is not fails), so the dashboard reads such a window's
// bytes itself (ui-logs.ts) and shows them through this. `\xNN` rather than U+FFFD: the reader sees which bytes the
// program wrote (Latin-1 `é` is \xe9, a binary length prefix shows its value), where U+FFFD would hide them.
import { shellQuote } from '../shell/quote.ts';

/** The range of the byte after `lead` in a valid sequence, and how many bytes follow the lead (Unicode table 3-7). */
function sequenceOf(lead: number): { length: number; low: number; high: number } | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 1, low: 0x80, high: 0xbf };
  if (lead === 0xe0) return { length: 2, low: 0xa0, high: 0xbf };
  if (lead === 0xed) return { length: 2, low: 0x80, high: 0x9f }; // no UTF-16 surrogates
  if (lead >= 0xe1 && lead <= 0xef) return { length: 2, low: 0x80, high: 0xbf };
  if (lead === 0xf0) return { length: 3, low: 0x90, high: 0xbf };
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 3, low: 0x80, high: 0xbf };
  if (lead === 0xf4) return { length: 3, low: 0x80, high: 0x8f }; // nothing past U+10FFFF
  return undefined;
}

/** How many bytes the valid UTF-8 character at `at` takes, or 0 when the byte there starts none. */
function validLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] ?? 0;
  if (lead < 0x80) return 1;
  const sequence = sequenceOf(lead);
  // A sequence cut by the end of the bytes is not valid here (the caller reads between character boundaries).
  if (!sequence || at + sequence.length >= bytes.length) return 0;
  const second = bytes[at + 1] ?? -1;
  if (second < sequence.low || second > sequence.high) return 0;
  for (let i = 2; i <= sequence.length; i++) {
    const next = bytes[at + i] ?? -1;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return sequence.length + 1;
}

/** The bytes as text: valid UTF-8 decoded, each byte that starts no valid character as `\xNN` (lower-case hex). */
export function showInvalidUtf8(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = '';
  let runStart = 0;
  let at = 0;
  while (at < buffer.length) {
    const length = validLength(buffer, at);
    if (length > 0) {
      at += length;
      continue;
    }
    text += buffer.toString('utf8', runStart, at) + `\\x${(buffer[at] ?? 0).toString(16).padStart(2, '0')}`;
    at += 1;
    runStart = at;
  }
  return text + buffer.toString('utf8', runStart, at);
}

/**
 * The shell line that prints bytes [start, end) of a log file on its host, as base64 (the exec channel carries text;
 * this keeps every byte). Used where supervisord cannot send the window as text.
 */
export function logBytesCommand(file: string, range: { start: number; end: number }): string {
  return `tail -c +${range.start + 1} -- ${shellQuote(file)} | head -c ${range.end - range.start} | base64`;
}
