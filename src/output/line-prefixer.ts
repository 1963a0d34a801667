// Splits a byte stream into whole lines and writes each with a prefix, so hosts never interleave mid-line.
import { StringDecoder } from 'node:string_decoder';

export interface LinePrefixer {
  push(chunk: Buffer): void;
  /** Writes a last partial line, if any. */
  flush(): void;
}

export function createLinePrefixer(prefix: string, write: (line: string) => void): LinePrefixer {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) write(`${prefix}${line.replace(/\r$/, '')}\n`);
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
