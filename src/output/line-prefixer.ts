// Splits a byte stream into whole lines and writes each with a prefix, so hosts never interleave mid-line.
import { StringDecoder } from 'node:string_decoder';

export interface LinePrefixer {
  push(chunk: Buffer): void;
  /** Writes a last partial line, if any. */
  flush(): void;
}

/**
 * `write` gets one line at a time (ending in `\n`), or, with `batch`, every whole line of a chunk at once: one write
 * instead of thousands when a host prints a lot (the lines stay whole and in order either way).
 */
export function createLinePrefixer(
  prefix: string,
  write: (line: string) => void,
  options: { batch?: boolean } = {},
): LinePrefixer {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    const prefixed = lines.map((line) => `${prefix}${line.replace(/\r$/, '')}\n`);
    if (options.batch && prefixed.length > 0) write(prefixed.join(''));
    else for (const line of prefixed) write(line);
  };
  return {
    push: (chunk) => emit(decoder.write(chunk)),
    flush: () => {
      emit(decoder.end());
      if (partial !== '') write(`${prefix}${partial}\n`);
      partial = '';
    },
  };
}
