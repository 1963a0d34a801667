// `convoy start|stop|restart`: one row per process per host, the last log lines of those that failed, the summary.
import type { HostOutcome, RunSummary } from '../../orchestration/run-on-hosts.ts';
import type { ControlAction, ProcessResult } from '../../supervisor/control.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { byHost, hostRecord } from './common.ts';
import { processColors, processWords } from '../words.ts';

export interface ControlReport {
  action: ControlAction;
  outcomes: HostOutcome<ProcessResult[]>[];
  summary: RunSummary;
  stopReason: 'failures' | 'interrupted' | undefined;
  maxFail: number;
  exitCode: number;
}

export function showControl(out: Output, run: ControlReport): void {
  const { outcomes, summary, stopReason, maxFail } = run;
  if (out.jsonMode) {
    for (const o of outcomes) {
      const results = (o.value ?? []).map((r) => ({ ...r, result: processWords[r.result] }));
      out.record(hostRecord(o, { results }));
    }
    writeSummary(out, run.action, summary, run.exitCode, stopReason ? { stopped: stopReason } : {});
    return;
  }
  if (stopReason === 'interrupted')
    out.line(paint(out.color, 'yellow', 'stopped: interrupted (Ctrl-C); later batches were not touched'));
  if (stopReason === 'failures') {
    const hosts = `${maxFail} host${maxFail === 1 ? '' : 's'}`;
    const said = `stopped: more than ${hosts} failed (--max-fail ${maxFail}); later batches were not touched`;
    out.line(paint(out.color, 'red', said));
  }
  const { rows, details } = tableRows(out, outcomes);
  out.line(formatTable(['HOST', 'PROGRAM', 'RESULT', 'STATE', 'PID', 'INFO'], rows));
  if (details.length > 0) out.line(['', ...details].join('\n'));
  writeSummary(out, run.action, summary, run.exitCode);
}

function tableRows(out: Output, outcomes: readonly HostOutcome<ProcessResult[]>[]) {
  const rows: string[][] = [];
  const details: string[] = [];
  for (const o of [...outcomes].sort(byHost)) {
    if (!o.value) {
      const info = o.error?.message ?? (o.status === 'skipped' ? 'not touched (rollout stopped)' : '');
      rows.push([o.host, '-', paint(out.color, o.status === 'skipped' ? 'yellow' : 'red', o.status), '-', '-', info]);
      continue;
    }
    for (const r of o.value) {
      const pid = r.pid === null ? '-' : String(r.pid);
      rows.push([
        o.host,
        r.program,
        paint(out.color, processColors[r.result], processWords[r.result]),
        r.state,
        pid,
        r.error ?? '',
      ]);
      if (r.logTail?.length) details.push(`${o.host} ${r.program}, last log lines:`, ...r.logTail.map((l) => `  ${l}`));
    }
    // Its processes did what was asked, but the host failed after (an afterBatch hook).
    if (o.error) rows.push([o.host, '-', paint(out.color, 'red', o.status), '-', '-', o.error.message]);
  }
  return { rows, details };
}
