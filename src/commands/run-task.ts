// `convoy run <task> [target]`: a custom task from tasks/, once per host, concurrently, with a context of helpers.
import path from 'node:path';
import { ConvoyError, UsageError } from '../errors.ts';
import type { CommandResult } from '../host/session.ts';
import type { Output } from '../output/output.ts';
import { hostColor, paint } from '../output/colors.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showTaskRun } from '../output/views/run-task.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { TaskContext, TaskRunOptions } from '../tasks/define.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget, tasksDirOf, loadProjectTasks } from './fleet-context.ts';
import { journalOutcomes } from './run-journal.ts';

export interface RunTaskOptions extends FleetContextOptions {
  task: string;
  /** Absent: the hosts the task names (a task that names none needs one). */
  target?: string | undefined;
  output: Output;
}

/** A command a task ran exited non-zero (and the task did not ask to be warned only). */
export class TaskCommandError extends ConvoyError {}

/** A command as a message shows it: its first line, shortened (a long one may carry more than it should show). */
function shortCommand(command: string): string {
  const first = command.trim().split('\n')[0] ?? '';
  return first.length > 60 || command.includes('\n') ? `${first.slice(0, 57)}…` : first;
}

/** `run`/`sudo` for a task: the result, or a TaskCommandError with the host's own words for a non-zero exit. */
function checkedRun(host: string, exec: (command: string) => Promise<CommandResult>) {
  return async (command: string, opts: TaskRunOptions = {}): Promise<CommandResult> => {
    const result = await exec(command);
    if (result.code === 0 || opts.warn) return result;
    const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
    throw new TaskCommandError(`${host}: \`${shortCommand(command)}\` failed: ${how}${said ? `: ${said}` : ''}`);
  };
}

export async function runTaskCommand(options: RunTaskOptions): Promise<number> {
  const tasksDir = tasksDirOf(options);
  const { tasks } = await loadProjectTasks(options);
  const task = tasks.find((t) => t.name === options.task);
  if (!task)
    throw new UsageError(
      `no task named '${options.task}' in ${tasksDir}/ (tasks: ${tasks.map((t) => t.name).join(', ') || 'none'})`,
    );
  const target = options.target ?? task.hosts;
  if (target === undefined) {
    const declare = `defineTask('${task.name}', { hosts: 'web' }, …)`;
    throw new UsageError(
      `task '${task.name}' names no hosts: give a target (convoy run ${task.name} <target>), or declare them: ${declare}`,
    );
  }
  const { inventory, hosts } = loadTarget(options, target);
  const out = options.output;
  const width = Math.max(...hosts.map((h) => h.name.length));
  options.journal?.begin({ command: 'run', target, hosts: hosts.map((h) => h.name) });
  const fleet = openFleet(options, inventory);
  try {
    const { outcomes, summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency, onOutcome: journalOutcomes(options.journal) },
      async (session, host) => {
        const prefix = `${paint(out.color, hostColor(hosts.indexOf(host)), host.name.padEnd(width))} | `;
        const local = (file: string) => path.resolve(options.cwd, file.replaceAll('{{host}}', host.name));
        const context: TaskContext = {
          host: { name: host.name, address: host.address, user: host.user, vars: host.vars },
          run: checkedRun(host.name, (command) => session.exec(command)),
          sudo: checkedRun(host.name, (command) => session.execAsRoot(command)),
          put: (from, to) => session.put(local(from), to),
          get: (from, to) => session.get(from, local(to)),
          supervisor: session.supervisor(),
          log: (message) => {
            if (out.jsonMode) out.record({ type: 'log', host: host.name, message });
            else out.line(`${prefix}${message}`);
          },
        };
        await task.run(context);
        return { value: null, ok: true };
      },
    );
    const exitCode = exitCodeFor(summary);
    showTaskRun(out, task.name, outcomes, summary, exitCode);
    return exitCode;
  } finally {
    await fleet.close();
  }
}
