// `convoy start|stop|restart <target> [program…]`: drive programs on every host at once; per-host results, summary.
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import { exitCodeFor, formatSummary } from '../orchestration/run-on-hosts.ts';
import { failureBudget, planBatches, runRolling } from '../orchestration/rolling.ts';
import { withSupervisor } from '../orchestration/supervisor-run.ts';
import { existsSync } from 'node:fs';
import { chooseReporter } from '../output/reporters/choose.ts';
import path from 'node:path';
import { ExitCode } from '../errors.ts';
import type { Interruption } from './interruption.ts';
import { healthCommand } from '../deploy/health.ts';
import type { Amount } from '../units/amount.ts';
import { loadTasks } from '../tasks/load.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import { appSpecFor } from './deploy-context.ts';
import type { ControlAction, ProcessResult } from '../supervisor/control.ts';
import { controlProcesses } from '../supervisor/control.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { createPool, defaultConcurrency, targetHosts, tasksDirOf } from './fleet-context.ts';

export interface ControlCommandOptions extends FleetContextOptions {
  action: ControlAction;
  target: string;
  programs: readonly string[];
  output: Output;
  /** `n` or `n%` hosts at a time; absent = every host at once. */
  rolling?: Amount | undefined;
  canary?: number | undefined;
  pauseMs?: number | undefined;
  maxFail?: Amount | undefined;
  interruption?: Interruption;
}

/** After a start, programs must stay RUNNING with the same PIDs this long. */
const settleMs = 1000;

/** Health checks of the apps (from tasks/, when there are any) whose groups were started on a host. */
async function appHealthChecks(options: ControlCommandOptions): Promise<Map<string, NormalisedApp>> {
  if (options.action === 'stop' || !existsSync(path.resolve(options.cwd, options.globals.tasks))) return new Map();
  const { apps } = await loadTasks(tasksDirOf(options));
  return new Map(apps.filter((a) => a.spec.healthcheck).map((a) => [a.spec.name, a.spec]));
}

export async function controlCommand(options: ControlCommandOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const batches = options.rolling ? planBatches(hosts, options.rolling, options.canary ?? 0) : [hosts];
  const pauseMs = options.pauseMs ?? 0;
  const maxFail = failureBudget(options.maxFail, hosts.length);
  const health = await appHealthChecks(options);
  const pool = createPool(options);
  const out = options.output;
  const reporter = chooseReporter(out);
  reporter.begin(batches.map((b) => b.map((h) => h.name)));
  try {
    const { outcomes, summary, stopReason } = await runRolling(
      batches,
      {
        pauseMs,
        maxFail,
        concurrency: options.globals.concurrency ?? defaultConcurrency,
        stopRequested: () => options.interruption?.requested() ?? false,
        onBatch: (index, hosts) => {
          if (options.rolling) reporter.event({ type: 'batch', index, total: batches.length, hosts: [...hosts] });
        },
        onOutcome: (o) =>
          reporter.event({
            type: 'host',
            host: o.host,
            status: o.status,
            durationMs: o.durationMs,
            detail: o.error?.message,
          }),
      },
      withSupervisor(pool, async (client, host) => {
        reporter.event({
          type: 'step',
          host: host.name,
          step: options.action,
          detail: options.programs.join(' ') || 'all',
        });
        const results = await controlProcesses(
          client,
          options.action,
          options.programs,
          options.action === 'stop' ? 0 : settleMs,
        );
        for (const group of new Set(
          results.filter((r) => r.result !== 'failed').map((r) => r.program.split(':')[0] ?? ''),
        )) {
          const app = health.get(group);
          const check = app && appSpecFor(app, host).healthcheck;
          if (!check) continue;
          const r = await (await pool.get(host)).exec(healthCommand(check));
          if (r.code !== 0) {
            for (const result of results.filter((x) => x.program.split(':')[0] === group)) {
              Object.assign(result, {
                result: 'failed',
                error: `health check ${check.http ?? check.tcp ?? check.command} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`,
              });
            }
          }
        }
        return { value: results, ok: results.every((r) => r.result !== 'failed' && r.result !== 'no such program') };
      }),
    );
    await reporter.end();
    if (stopReason === 'interrupted' && !out.jsonMode)
      out.line(paint(out.color, 'yellow', 'stopped: interrupted (Ctrl-C); later batches were not touched'));
    if (stopReason === 'failures' && !out.jsonMode)
      out.line(
        paint(
          out.color,
          'red',
          `stopped: more than ${maxFail} host${maxFail === 1 ? '' : 's'} failed (--max-fail ${maxFail}); later batches were not touched`,
        ),
      );
    if (out.jsonMode) {
      out.line(
        JSON.stringify({
          type: 'summary',
          action: options.action,
          ...(stopReason ? { stopped: stopReason } : {}),
          hosts: outcomes.map((o) => ({
            host: o.host,
            status: o.status,
            durationMs: o.durationMs,
            results: o.value ?? [],
            ...(o.error ? { error: o.error.message } : {}),
          })),
          summary,
        }),
      );
      return options.interruption?.requested() ? ExitCode.interrupted : exitCodeFor(summary);
    }
    const rows: string[][] = [];
    const details: string[] = [];
    for (const o of [...outcomes].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }))) {
      if (!o.value) {
        rows.push([
          o.host,
          '-',
          paint(out.color, o.status === 'skipped' ? 'yellow' : 'red', o.status),
          '-',
          '-',
          o.error?.message ?? (o.status === 'skipped' ? 'not touched (rollout stopped)' : ''),
        ]);
        continue;
      }
      for (const r of o.value) {
        rows.push([
          o.host,
          r.program,
          paint(out.color, resultColor(r), r.result),
          r.state,
          r.pid === null ? '-' : String(r.pid),
          r.error ?? '',
        ]);
        if (r.logTail?.length)
          details.push(`${o.host} ${r.program}, last log lines:`, ...r.logTail.map((l) => `  ${l}`));
      }
    }
    out.line(formatTable(['HOST', 'PROGRAM', 'RESULT', 'STATE', 'PID', 'INFO'], rows));
    if (details.length > 0) out.line(['', ...details].join('\n'));
    out.line(formatSummary(summary));
    return options.interruption?.requested() ? ExitCode.interrupted : exitCodeFor(summary);
  } finally {
    await pool.closeAll();
  }
}

function resultColor(r: ProcessResult) {
  return r.result === 'failed' || r.result === 'no such program'
    ? 'red'
    : r.result.startsWith('already')
      ? 'gray'
      : 'green';
}
