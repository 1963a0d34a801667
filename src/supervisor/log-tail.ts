// The last lines of a program's logs, read through supervisord: what a failure message shows of the cause. A log
// that cannot be read is said so, with why: a failure message must not look as if the program wrote nothing.
import type { SupervisorClient } from './client.ts';
import { isFault } from './faults.ts';
import type { LogStream } from './log-read.ts';
import { readLogEnd } from './log-read.ts';

const tailBytes = 2000;

/** The end of one stream's log: its last non-empty lines, or why they could not be read. */
export type StreamTail = { stream: LogStream; lines: string[] } | { stream: LogStream; lines: []; unreadable: string };

/** Up to `lines` non-empty lines from the end of each stream's log. */
export async function lastLogLines(
  client: SupervisorClient,
  name: string,
  streams: readonly LogStream[],
  lines: number,
): Promise<StreamTail[]> {
  const tails: StreamTail[] = [];
  for (const stream of streams) {
    try {
      const { text } = await readLogEnd({ client, name, stream }, tailBytes);
      const last = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-lines);
      tails.push({ stream, lines: last });
    } catch (error) {
      // Logging disabled for the stream (the file was never made): nothing to show, nothing went wrong.
      if (isFault(error, 'NO_FILE')) tails.push({ stream, lines: [] });
      else tails.push({ stream, lines: [], unreadable: error instanceof Error ? error.message : String(error) });
    }
  }
  return tails;
}

/** As a failure's detail lines: `stderr: <line>` each, or `(its stderr could not be read: <why>)`. */
export function tailLines(tails: readonly StreamTail[]): string[] {
  return tails.flatMap((t) =>
    'unreadable' in t
      ? [`(its ${t.stream} could not be read: ${t.unreadable})`]
      : t.lines.map((l) => `${t.stream}: ${l}`),
  );
}
