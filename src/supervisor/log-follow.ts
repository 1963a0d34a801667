// Follows a program's log through supervisord (`convoy logs -f`, the dashboard's tail): the last lines, then what is
// appended, read by byte offset so that nothing is read twice or skipped, until the caller stops it.
import type { LogRef } from './log-read.ts';
import { LogNotTextError, readLogEnd, readLogRange } from './log-read.ts';
import { showInvalidUtf8 } from './log-bytes.ts';
import type { ByteRange } from './log-window.ts';

const chunkBytes = 64 * 1024;

export interface FollowOptions {
  /** Lines to show from the end first (0: only what comes next). */
  lines: number;
  /** Keep reading what is appended (else: the last lines only). */
  follow: boolean;
  intervalMs: number;
  stopped(): boolean;
  /** Waits between reads (ends early when the caller stops). */
  wait(ms: number): Promise<unknown>;
  /**
   * Bytes that are not UTF-8 (supervisord cannot send them): told here and skipped, instead of ending the follow.
   * Absent: the LogNotTextError is thrown.
   */
  notText?: (error: LogNotTextError) => void;
  /**
   * Reads a window's raw bytes another way (the dashboard: on the host, over exec) when supervisord cannot send
   * them as text; they are then shown with each invalid byte as `\xNN` (log-bytes.ts). Where it fails, `notText`.
   */
  readBytes?: (range: ByteRange) => Promise<Buffer>;
}

/** The log's text as it comes, in pieces (whole lines first, then whatever was appended); `push` joins them. */
export async function followLog(log: LogRef, options: FollowOptions, push: (text: string) => void): Promise<void> {
  // Enough bytes for the last N lines of ordinary logs; only whole lines are shown.
  const first = await firstText(log, options, Math.max(4096, Math.min(chunkBytes * 16, options.lines * 512)));
  const lines = first.text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const wanted = options.lines === 0 ? [] : lines.slice(-options.lines);
  if (wanted.length > 0) push(wanted.join('\n') + '\n');
  // A byte offset in the log, always between characters: where the text read so far ends.
  let offset = first.end;
  while (options.follow && !options.stopped()) {
    await options.wait(options.intervalMs);
    if (options.stopped()) break;
    const size = (await log.client.tailLog(log.name, log.stream, 0, 0)).offset;
    if (size < offset) offset = 0; // rotated or truncated: start over from its beginning
    if (size === offset) continue;
    offset = await readOn(log, options, offset, Math.min(size, offset + chunkBytes), push);
  }
}

/** The end of the log as text; bytes there that are not text are shown escaped or said, as `readOn` does. */
async function firstText(log: LogRef, options: FollowOptions, length: number): Promise<{ text: string; end: number }> {
  try {
    return await readLogEnd(log, length);
  } catch (error) {
    if (!(error instanceof LogNotTextError) || !options.notText) throw error;
    const shown = await bytesShown(options, error.range);
    if (shown === undefined) options.notText(error);
    return { text: shown ?? '', end: error.range.end };
  }
}

/** Reads [offset, end) and returns where the next read starts; bytes that are not text are skipped if told so. */
async function readOn(
  log: LogRef,
  options: FollowOptions,
  offset: number,
  end: number,
  push: (text: string) => void,
): Promise<number> {
  try {
    const fresh = await readLogRange(log, offset, end);
    push(fresh.text);
    // By the bytes read, not the text's length: the text has \r\n as \n (XML), and ends before a partial character.
    return fresh.end;
  } catch (error) {
    if (!(error instanceof LogNotTextError) || !options.notText) throw error;
    const shown = await bytesShown(options, error.range);
    if (shown === undefined) options.notText(error);
    else push(shown);
    return error.range.end;
  }
}

/** The window's bytes as text with its invalid bytes escaped, or undefined when they cannot be read. */
async function bytesShown(options: FollowOptions, range: ByteRange): Promise<string | undefined> {
  if (!options.readBytes) return undefined;
  try {
    const bytes = await options.readBytes(range);
    return bytes.length === range.end - range.start ? showInvalidUtf8(bytes) : undefined;
  } catch {
    return undefined;
  }
}
