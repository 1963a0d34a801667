// An Output that keeps what a view writes: lines (split at newlines) or JSON records.
import type { JsonRecord, Output } from '../../../src/output/output.ts';

export function captureOutput(jsonMode = false): { out: Output; lines: string[]; records: JsonRecord[] } {
  const lines: string[] = [];
  const records: JsonRecord[] = [];
  const out: Output = {
    jsonMode,
    color: false,
    line: (t) => lines.push(...t.split('\n')),
    record: (r) => records.push(r),
    warn: () => {},
  };
  return { out, lines, records };
}
