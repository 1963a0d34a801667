// `convoy start|stop|restart <target> [program…]`: drive programs on every host at once; per-host results, summary.
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import { exitCodeFor, formatSummary } from '../orchestration/run-on-hosts.ts';
import { runOnSupervisors } from '../orchestration/supervisor-run.ts';
import type { ControlAction, ProcessResult } from '../supervisor/control.ts';
import { controlProcesses } from '../supervisor/control.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { createPool, defaultConcurrency, targetHosts } from './fleet-context.ts';

export interface ControlCommandOptions extends FleetContextOptions {
  action: ControlAction;
  target: string;
  programs: readonly string[];
  output: Output;
}

export async function controlCommand(options: ControlCommandOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const pool = createPool(options);
  const out = options.output;
  try {
    const { outcomes, summary } = await runOnSupervisors(pool, hosts, { concurrency: options.globals.concurrency ?? defaultConcurrency }, async (client) => {
      const results = await controlProcesses(client, options.action, options.programs);
      return { value: results, ok: results.every((r) => r.result !== 'failed' && r.result !== 'no such program') };
    });
    if (out.jsonMode) {
      out.json({ action: options.action, hosts: outcomes.map((o) => ({ host: o.host, status: o.status, durationMs: o.durationMs, results: o.value ?? [], ...(o.error ? { error: o.error.message } : {}) })), summary });
      return exitCodeFor(summary);
    }
    const rows: string[][] = [];
    const details: string[] = [];
    for (const o of [...outcomes].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }))) {
      if (!o.value) {
        rows.push([o.host, '-', paint(out.color, 'red', o.status), '-', '-', o.error?.message ?? '']);
        continue;
      }
      for (const r of o.value) {
        rows.push([o.host, r.program, paint(out.color, resultColor(r), r.result), r.state, r.pid === null ? '-' : String(r.pid), r.error ?? '']);
        if (r.logTail?.length) details.push(`${o.host} ${r.program}, last log lines:`, ...r.logTail.map((l) => `  ${l}`));
      }
    }
    out.line(formatTable(['HOST', 'PROGRAM', 'RESULT', 'STATE', 'PID', 'INFO'], rows));
    if (details.length > 0) out.line(['', ...details].join('\n'));
    out.line(formatSummary(summary));
    return exitCodeFor(summary);
  } finally {
    await pool.closeAll();
  }
}

function resultColor(r: ProcessResult) {
  return r.result === 'failed' || r.result === 'no such program' ? 'red' : r.result.startsWith('already') ? 'gray' : 'green';
}
