// The last lines of a program's logs, read through supervisord: what a failure message shows of the cause.
import type { SupervisorClient } from './client.ts';

const tailBytes = 2000;

/** Up to `lines` non-empty lines from the end of each stream's log, prefixed `stderr: ` / `stdout: `. */
export async function lastLogLines(
  client: SupervisorClient,
  name: string,
  streams: readonly ('stdout' | 'stderr')[],
  lines: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const stream of streams) {
    try {
      const tail = await client.tailLog(name, stream, 0, tailBytes);
      const last = tail.bytes
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-lines);
      out.push(...last.map((l) => `${stream}: ${l}`));
    } catch {
      // No such log (NO_FILE) or logging disabled: nothing to show.
    }
  }
  return out;
}
