// `convoy history`: one row per run and app, newest first; then per app where `current` stands (hosts that disagree
// named); then the hosts that could not be read and the summary line.
import type { AppState } from '../../deploy/app-state.ts';
import type { CurrentAgreement, HistoryRow } from '../../deploy/history.ts';
import { outcomeSummary, whoText } from '../../deploy/history.ts';
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { counted } from '../words.ts';
import { byHost, failureLines, hostRecord } from './common.ts';

export interface HistoryReport {
  rows: readonly HistoryRow[];
  agreement: readonly CurrentAgreement[];
  outcomes: readonly HostOutcome<ReadonlyMap<string, AppState>>[];
  summary: RunSummary;
  exitCode: number;
}

/** Commits as `git log --oneline` shows them; `+` marks a tree with uncommitted changes. */
const shortCommit = (row: HistoryRow) => (row.commit ? row.commit.slice(0, 7) + (row.dirty ? '+' : '') : '-');

/** `2026-12-02 15:04:05` (UTC, as the header says). */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

/** Up to four host names, then how many more. */
function hostsText(hosts: readonly string[]): string {
  const sorted = [...hosts].sort((a, b) => byHost({ host: a }, { host: b }));
  return sorted.length <= 4 ? sorted.join(', ') : `${sorted.slice(0, 4).join(', ')} +${sorted.length - 4}`;
}

function rowCells(out: Output, row: HistoryRow): string[] {
  const failed = Boolean(row.outcomes.failed || row.outcomes.reverted);
  const outcome = outcomeSummary(row.outcomes);
  return [
    when(row.at),
    row.app,
    row.action,
    row.releases.join(', ') || '-',
    whoText(row),
    shortCommit(row),
    failed ? paint(out.color, 'red', outcome) : outcome,
    hostsText(row.hosts),
  ];
}

/** `hello: current R on 2 of 3 hosts; web3 differs: S`. */
function agreementLine(out: Output, a: CurrentAgreement): string {
  const total = a.hosts.length + a.differing.length;
  const where = a.differing.length === 0 ? `on ${counted(total, 'host')}` : `on ${a.hosts.length} of ${total} hosts`;
  const head = `${a.app}: current ${a.release ?? '(none)'} ${where}`;
  if (a.differing.length === 0) return head;
  const differ = a.differing.map((d) => `${d.host} differs: ${d.release ?? 'no release'}`).join('; ');
  return `${head}; ${paint(out.color, 'yellow', differ)}`;
}

function jsonRecords(out: Output, report: HistoryReport): void {
  for (const row of report.rows) out.record({ type: 'history', ...row });
  // JSON has no undefined: a host with no release says null.
  const release = (d: { host: string; release: string | undefined }) => ({ host: d.host, release: d.release ?? null });
  for (const a of report.agreement) {
    out.record({ type: 'current', ...a, release: a.release ?? null, differing: a.differing.map(release) });
  }
  for (const o of report.outcomes) {
    const current = o.value ? Object.fromEntries([...o.value].map(([app, s]) => [app, s.current ?? null])) : undefined;
    out.record(hostRecord(o, current ? { current } : {}));
  }
}

export function showHistory(out: Output, report: HistoryReport): void {
  if (out.jsonMode) {
    jsonRecords(out, report);
  } else {
    const headers = ['WHEN (UTC)', 'APP', 'ACTION', 'RELEASE', 'BY', 'COMMIT', 'OUTCOME', 'HOSTS'];
    if (report.rows.length > 0)
      out.line(
        formatTable(
          headers,
          report.rows.map((r) => rowCells(out, r)),
        ),
      );
    else out.line('no deploy recorded on these hosts');
    for (const a of report.agreement) out.line(agreementLine(out, a));
    failureLines(out, report.outcomes, (o) => `${o.status}: ${o.error?.message ?? ''}`);
  }
  const drift = report.agreement.flatMap((a) =>
    a.differing.map((d) => ({ app: a.app, ...d, release: d.release ?? null })),
  );
  writeSummary(out, 'history', report.summary, report.exitCode, { runs: report.rows.length, drift });
}
