// `convoy check <target>`: orphaned confs per host (a conf Convoy wrote for an app no task file describes).
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { byHost, hostRecord } from './common.ts';

export interface OrphansReport {
  outcomes: readonly HostOutcome<{ orphans: { file: string; app: string }[]; unreadable: string[] }>[];
  summary: RunSummary;
  exitCode: number;
  /** The input check's fields (inventory, apps, …), for the JSON summary. */
  extra: Record<string, unknown>;
}

export function showOrphans(out: Output, report: OrphansReport): void {
  const outcomes = [...report.outcomes].sort(byHost);
  if (out.jsonMode) {
    for (const o of outcomes) out.record(hostRecord(o, { ...(o.value ?? {}) }));
    writeSummary(out, 'check', report.summary, report.exitCode, report.extra);
    return;
  }
  const rows = outcomes.flatMap((o) => {
    if (!o.value) return [[o.host, paint(out.color, 'red', o.status), '', o.error?.message ?? '']];
    const found = o.value.orphans.map((c) => [o.host, paint(out.color, 'yellow', 'orphaned'), c.app, c.file]);
    const unreadable = o.value.unreadable.map((f) => [o.host, paint(out.color, 'gray', 'unreadable'), '', f]);
    return [...found, ...unreadable];
  });
  if (rows.length > 0) out.line(formatTable(['HOST', 'CONF', 'APP', 'FILE'], rows));
  const count = outcomes.reduce((n, o) => n + (o.value?.orphans.length ?? 0), 0);
  out.line(
    count === 0
      ? 'no orphaned confs'
      : `${count} orphaned conf${count === 1 ? '' : 's'}: apps no task file describes (convoy remove <target> <app>)`,
  );
  writeSummary(out, 'check', report.summary, report.exitCode);
}
