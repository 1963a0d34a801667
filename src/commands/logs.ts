// `convoy logs <target> <program> [-n N] [-f] [--stderr]`: tail a program's log on every host, lines prefixed.
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import type { LinePrefixer } from '../output/line-prefixer.ts';
import { createLinePrefixer } from '../output/line-prefixer.ts';
import { hostColor, paint } from '../output/colors.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showLogsEnd } from '../output/views/logs.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import { followLog } from '../supervisor/log-follow.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { runOnSessions } from '../host/fleet.ts';
import { displayName, selectProcesses } from '../supervisor/select.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget } from './fleet-context.ts';

export interface LogsCommandOptions extends FleetContextOptions {
  target: string;
  program: string;
  lines: number;
  follow: boolean;
  stderr: boolean;
  output: Output;
  /** Ctrl-C (or SIGTERM/SIGHUP) ends `--follow`. */
  interruption: Interruption;
}

const followIntervalMs = 500;

interface TailJob {
  client: SupervisorClient;
  /** `group:name`, as supervisord's log calls take it. */
  name: string;
  stream: 'stdout' | 'stderr';
  /** Takes the log's bytes as they come; whole lines come out of it. */
  sink: LinePrefixer;
}

/** The last N lines, then (with -f) what is appended, until Ctrl-C. */
async function tail(options: LogsCommandOptions, job: TailJob, stopped: () => boolean): Promise<void> {
  const { client, name, stream, sink } = job;
  const wait = (ms: number) => Promise.race([sleep(ms), options.interruption.promise]);
  const follow = { lines: options.lines, follow: options.follow, intervalMs: followIntervalMs, stopped, wait };
  await followLog({ client, name, stream }, follow, (text) => sink.push(Buffer.from(text, 'utf8')));
  sink.flush();
}

export async function logsCommand(options: LogsCommandOptions): Promise<number> {
  if (options.lines < 0) throw new UsageError(`-n: expected a number of lines >= 0, got ${options.lines}`);
  const { inventory, hosts } = loadTarget(options, options.target);
  const out = options.output;
  const stream = options.stderr ? 'stderr' : 'stdout';
  const stopped = () => options.interruption.requested();
  const width = Math.max(...hosts.map((h) => h.name.length));
  const fleet = openFleet(options, inventory);
  try {
    const concurrency = options.globals.concurrency ?? defaultConcurrency;
    const { outcomes, summary } = await runOnSessions(fleet, hosts, { concurrency }, async (session, host) => {
      const client = session.supervisor();
      const { selected } = selectProcesses(await client.getAllProcessInfo(), [options.program]);
      if (selected.length === 0) {
        const said = `no program '${options.program}' (names are group:name, group:* or an app name)`;
        throw new UsageError(`${host.name}: ${said}`);
      }
      const index = hosts.indexOf(host);
      const sinkFor = (p: ProcessInfo): LinePrefixer => {
        if (out.jsonMode) {
          const line = (text: string) =>
            out.record({ type: 'line', host: host.name, program: displayName(p), stream, text: text.slice(0, -1) });
          return createLinePrefixer('', line);
        }
        const label = selected.length > 1 ? `${host.name} ${displayName(p)}` : host.name.padEnd(width);
        return createLinePrefixer(`${paint(out.color, hostColor(index), label)} | `, (l) => out.line(l.slice(0, -1)));
      };
      const jobs = selected.map((p) => ({ client, name: `${p.group}:${p.name}`, stream, sink: sinkFor(p) }) as const);
      await Promise.all(jobs.map((job) => tail(options, job, stopped)));
      return { value: null, ok: true };
    });
    const exitCode = exitCodeFor(summary, { interruptedWith: interruptedWith(options.interruption) });
    showLogsEnd(out, outcomes, summary, exitCode);
    return exitCode;
  } finally {
    await fleet.close();
  }
}
