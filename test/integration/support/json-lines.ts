// Reads a command's --json output as the contract says (docs/output.md): JSON lines, each typed, summary last.
import assert from 'node:assert/strict';

export interface Summary {
  type: 'summary';
  command: string;
  total: number;
  ok: number;
  failed: number;
  unreachable: number;
  skipped: number;
  durationMs: number;
  exitCode: number;
  [key: string]: unknown;
}

export interface JsonLines<R> {
  records: ({ type: string } & Record<string, unknown>)[];
  /** The `result` records, one per host (per host and app for deploy). */
  results: R[];
  /** The `program` records of `status`. */
  programs: R[];
  summary: Summary;
}

/** Fails the test when a line is not JSON, has no `type`, or the last one is not the summary. */
export function jsonLines<R = Record<string, unknown>>(stdout: string): JsonLines<R> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  const records = lines.map((line) => {
    const value = JSON.parse(line) as { type?: unknown } & Record<string, unknown>;
    assert.equal(typeof value.type, 'string', `a JSON line without a type: ${line}`);
    return value as { type: string } & Record<string, unknown>;
  });
  const summary = records.at(-1);
  assert.equal(summary?.type, 'summary', `the last line is not the summary:\n${stdout.slice(-500)}`);
  return {
    records,
    results: records.filter((r) => r.type === 'result') as R[],
    programs: records.filter((r) => r.type === 'program') as R[],
    summary: summary as Summary,
  };
}
