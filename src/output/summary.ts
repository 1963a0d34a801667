// Every multi-host command ends with the same counts (docs/output.md): a summary line for people, a summary record
// last in JSON lines.
import type { RunSummary } from '../orchestration/run-on-hosts.ts';
import type { JsonRecord, Output } from './output.ts';
import { counted, secondsText } from './words.ts';

/** `3 hosts: 2 ok, 1 failed, 0 unreachable, 0 skipped (1.2s)`. */
export function summaryLine(summary: RunSummary): string {
  const { total, ok, failed, unreachable, skipped } = summary;
  const counts = `${ok} ok, ${failed} failed, ${unreachable} unreachable, ${skipped} skipped`;
  return `${counted(total, 'host')}: ${counts} (${secondsText(summary.durationMs)})`;
}

/** The last JSON line of every command. */
export function summaryRecord(
  command: string,
  summary: RunSummary,
  exitCode: number,
  extra: Record<string, unknown> = {},
): JsonRecord {
  return { type: 'summary', command, ...summary, exitCode, ...extra };
}

/** The summary, as this output wants it: the line, or the record. */
export function writeSummary(
  out: Output,
  command: string,
  summary: RunSummary,
  exitCode: number,
  extra: Record<string, unknown> = {},
): void {
  if (out.jsonMode) out.record(summaryRecord(command, summary, exitCode, extra));
  else out.line(summaryLine(summary));
}
