// `convoy logs <target> <program> [-n N] [-f] [--stderr]`: tail a program's log on every host, lines prefixed.
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { createLinePrefixer } from '../output/line-prefixer.ts';
import { hostColor, paint } from '../output/colors.ts';
import { exitCodeFor, formatSummary } from '../orchestration/run-on-hosts.ts';
import { runOnSessions } from '../host/fleet.ts';
import { displayName, selectProcesses } from '../supervisor/select.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts } from './fleet-context.ts';

export interface LogsCommandOptions extends FleetContextOptions {
  target: string;
  program: string;
  lines: number;
  follow: boolean;
  stderr: boolean;
  output: Output;
  /** Resolves when the user interrupts (Ctrl-C); ends `--follow`. */
  interrupted: Promise<void>;
}

const followIntervalMs = 500;
const chunkBytes = 64 * 1024;

export async function logsCommand(options: LogsCommandOptions): Promise<number> {
  if (options.lines < 0) throw new UsageError(`-n: expected a number of lines >= 0, got ${options.lines}`);
  const hosts = targetHosts(options, options.target);
  const out = options.output;
  const stream = options.stderr ? 'stderr' : 'stdout';
  let stop = false;
  void options.interrupted.then(() => {
    stop = true;
  });
  const width = Math.max(...hosts.map((h) => h.name.length));
  const fleet = openFleet(options);
  try {
    const { summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency },
      async (session, host) => {
        const client = session.supervisor();
        const { selected } = selectProcesses(await client.getAllProcessInfo(), [options.program]);
        if (selected.length === 0)
          throw new UsageError(
            `${host.name}: no program '${options.program}' (names are group:name, group:* or an app name)`,
          );
        const index = hosts.indexOf(host);
        await Promise.all(
          selected.map(async (p) => {
            const name = `${p.group}:${p.name}`;
            const label = selected.length > 1 ? `${host.name} ${displayName(p)}` : host.name.padEnd(width);
            const prefixer = createLinePrefixer(`${paint(out.color, hostColor(index), label)} | `, (line) =>
              out.line(line.slice(0, -1)),
            );
            // Enough bytes for the last N lines of ordinary logs; only whole lines are shown.
            const first = await client.tailLog(
              name,
              stream,
              0,
              Math.max(4096, Math.min(chunkBytes * 16, options.lines * 512)),
            );
            const lines = first.bytes.split('\n');
            if (lines.at(-1) === '') lines.pop();
            const wanted = options.lines === 0 ? [] : lines.slice(-options.lines);
            if (wanted.length > 0) prefixer.push(Buffer.from(wanted.join('\n') + '\n'));
            let offset = first.offset;
            while (options.follow && !stop) {
              await Promise.race([sleep(followIntervalMs), options.interrupted]);
              if (stop) break;
              const size = (await client.tailLog(name, stream, 0, 0)).offset;
              if (size < offset) offset = 0; // rotated or truncated: start over from its beginning
              if (size === offset) continue;
              const fresh = await client.readLog(name, stream, offset, Math.min(size - offset, chunkBytes));
              prefixer.push(Buffer.from(fresh, 'utf8'));
              offset += Buffer.byteLength(fresh, 'utf8');
            }
            prefixer.flush();
          }),
        );
        return { value: null, ok: true };
      },
    );
    if (summary.failed + summary.unreachable > 0) out.warn(formatSummary(summary));
    return stop ? ExitCode.interrupted : exitCodeFor(summary);
  } finally {
    await fleet.close();
  }
}
