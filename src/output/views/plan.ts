// `convoy plan`: what differs, per host and app (docs/output.md): a table, each conf diff with `--diff`, or one
// `finding` JSON line per difference, a `result` per host and the summary.
import type { Finding } from '../../deploy/drift.ts';
import type { RoundTrips } from '../../host/round-trips.ts';
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { counted } from '../words.ts';
import { byHost, hostRecord } from './common.ts';

export interface PlanReport {
  findings: readonly Finding[];
  outcomes: readonly HostOutcome<{ findings: readonly Finding[]; roundTrips: RoundTrips }>[];
  summary: RunSummary;
  exitCode: number;
  /** `--diff`: conf diffs shown (in JSON, a `diff` field on `conf` findings). */
  diff: boolean;
  /** `CONVOY_COUNT_ROUND_TRIPS=1`: each host's channels, in its result (JSON) or a line (text). */
  countRoundTrips: boolean;
}

/** Findings by host (app-wide ones, `-`, last), then app, in the order they were found. */
function sorted(findings: readonly Finding[]): Finding[] {
  const last = (f: Finding) => (f.host === '-' ? 1 : 0);
  return [...findings].sort((a, b) => last(a) - last(b) || byHost(a, b) || a.app.localeCompare(b.app));
}

/** Per kind, how many findings. */
function kindCounts(findings: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return counts;
}

function showJson(out: Output, report: PlanReport, findings: readonly Finding[]): void {
  for (const f of findings) {
    const { diff, ...rest } = f;
    out.record({ type: 'finding', ...rest, ...(report.diff && diff ? { diff } : {}) });
  }
  for (const o of [...report.outcomes].sort(byHost)) {
    const count = findings.filter((f) => f.host === o.host).length;
    const trips = report.countRoundTrips && o.value ? { roundTrips: o.value.roundTrips } : {};
    out.record(hostRecord(o, { ...(o.value ? { findings: count } : {}), ...trips }));
  }
  const extra = { findings: findings.length, kinds: kindCounts(findings) };
  writeSummary(out, 'plan', report.summary, report.exitCode, extra);
}

/** The most round trips any host took, per kind: what a cron job's cost depends on. */
function roundTripsLine(outcomes: PlanReport['outcomes']): string {
  const most = (k: keyof RoundTrips) => Math.max(0, ...outcomes.map((o) => o.value?.roundTrips[k] ?? 0));
  return `round trips per host, at most: exec ${most('exec')}, rpc ${most('rpc')}, files ${most('files')}`;
}

export function showPlan(out: Output, report: PlanReport): void {
  const findings = sorted(report.findings);
  if (out.jsonMode) return showJson(out, report, findings);
  const rows = findings.map((f) => [f.host, f.app, paint(out.color, 'yellow', f.kind), f.text]);
  for (const o of report.outcomes.filter((x) => x.status !== 'ok')) {
    rows.push([o.host, '-', paint(out.color, 'red', o.status), o.error?.message ?? '']);
  }
  if (rows.length > 0) out.line(formatTable(['HOST', 'APP', 'DIFFERS', 'DETAIL'], rows));
  const hosts = new Set(findings.filter((f) => f.host !== '-').map((f) => f.host)).size;
  out.line(
    findings.length === 0
      ? 'no differences: every host runs what the task files would deploy'
      : `${counted(findings.length, 'difference')} on ${counted(hosts, 'host')}`,
  );
  if (report.diff) {
    for (const f of findings.filter((x) => x.diff)) out.line(`\n${f.host} ${f.app}:\n${f.diff?.trimEnd() ?? ''}`);
  }
  if (report.countRoundTrips) out.line(roundTripsLine(report.outcomes));
  writeSummary(out, 'plan', report.summary, report.exitCode);
}
