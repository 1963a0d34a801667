// `convoy setup <target>`: make every host ready for Convoy (Supervisor installed, socket group, running); idempotent.
import type { Output } from '../output/output.ts';
import { formatTable } from '../output/table.ts';
import { paint } from '../output/colors.ts';
import { runOnSessions } from '../host/fleet.ts';
import { setupHost } from '../host/setup.ts';
import { exitCodeFor, formatSummary } from '../orchestration/run-on-hosts.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts } from './fleet-context.ts';

export interface SetupCommandOptions extends FleetContextOptions {
  target: string;
  output: Output;
}

export async function setupCommand(options: SetupCommandOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const fleet = openFleet(options);
  const out = options.output;
  try {
    const { outcomes, summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency },
      async (session) => ({
        value: await setupHost(session),
        ok: true,
      }),
    );
    if (out.jsonMode) {
      out.json({
        hosts: outcomes.map((o) => ({
          host: o.host,
          status: o.status,
          durationMs: o.durationMs,
          ...(o.value ?? {}),
          unchanged: o.value ? o.value.changes.length === 0 : undefined,
          ...(o.error ? { error: o.error.message } : {}),
        })),
        summary,
      });
      return exitCodeFor(summary);
    }
    const rows = [...outcomes]
      .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }))
      .flatMap((o) => {
        if (!o.value) return [[o.host, paint(out.color, 'red', o.status), o.error?.message ?? '']];
        if (o.value.changes.length === 0)
          return [
            [
              o.host,
              paint(out.color, 'gray', 'unchanged'),
              `supervisord ${o.value.supervisorVersion} answers on ${o.value.socketPath} (${o.value.transport})`,
            ],
          ];
        return o.value.changes
          .map((change, i) => [i === 0 ? o.host : '', i === 0 ? paint(out.color, 'green', 'changed') : '', change])
          .concat([
            [
              '',
              '',
              `supervisord ${o.value.supervisorVersion} answers on ${o.value.socketPath} (${o.value.transport})`,
            ],
          ]);
      });
    out.line(formatTable(['HOST', 'RESULT', 'DETAIL'], rows));
    out.line(formatSummary(summary));
    return exitCodeFor(summary);
  } finally {
    await fleet.close();
  }
}
