// `convoy exec <target> -- <cmd…>`: one command on every host at once, output prefixed by host, a summary, exit codes.
import { runOnSessions } from '../host/fleet.ts';
import type { Output } from '../output/output.ts';
import { createLinePrefixer } from '../output/line-prefixer.ts';
import { hostColor, paint } from '../output/colors.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showExec } from '../output/views/exec.ts';
import { UsageError } from '../errors.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget } from './fleet-context.ts';
import { journalOutcomes } from './run-journal.ts';

export interface ExecCommandOptions extends FleetContextOptions {
  target: string;
  command: readonly string[];
  sudo: boolean;
  output: Output;
  stderr: (text: string) => void;
}

export async function execCommand(options: ExecCommandOptions): Promise<number> {
  // Like ssh: the words are joined with spaces and the remote shell parses them.
  const command = options.command.join(' ').trim();
  if (command === '') throw new UsageError('convoy exec: no command given (usage: convoy exec <target> -- <command…>)');
  const { inventory, hosts } = loadTarget(options, options.target);
  const out = options.output;
  const width = Math.max(...hosts.map((h) => h.name.length));
  const prefixOf = (name: string, index: number, mark: string) =>
    `${paint(out.color, hostColor(index), name.padEnd(width))} ${mark} `;
  options.journal?.begin({ command: 'exec', target: options.target, hosts: hosts.map((h) => h.name) });
  const fleet = openFleet(options, inventory);
  try {
    const { outcomes, summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency, onOutcome: journalOutcomes(options.journal) },
      async (session, host) => {
        const index = hosts.indexOf(host);
        // With --json, each line is a record as it arrives: the output is streamed, never held for the summary.
        const record = (stream: 'stdout' | 'stderr') => (line: string) =>
          out.record({ type: 'output', host: host.name, stream, text: line.slice(0, -1) });
        const stdout = out.jsonMode
          ? createLinePrefixer('', record('stdout'))
          : createLinePrefixer(prefixOf(host.name, index, '|'), (lines) => out.line(lines.slice(0, -1)), {
              batch: true,
            });
        const stderr = out.jsonMode
          ? createLinePrefixer('', record('stderr'))
          : createLinePrefixer(prefixOf(host.name, index, paint(out.color, 'red', '!')), options.stderr, {
              batch: true,
            });
        const streams = {
          onStdout: (chunk: Buffer) => stdout.push(chunk),
          onStderr: (chunk: Buffer) => stderr.push(chunk),
        };
        const result = await (options.sudo ? session.execAsRoot(command, streams) : session.exec(command, streams));
        stdout.flush();
        stderr.flush();
        return { value: result, ok: result.code === 0 };
      },
    );
    const exitCode = exitCodeFor(summary);
    showExec(out, command, outcomes, summary, exitCode);
    return exitCode;
  } finally {
    await fleet.close();
  }
}
