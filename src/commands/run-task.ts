// `convoy run <task> [target]`: a custom task from tasks/, once per host, concurrently, with a context of helpers.
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import { hostColor, paint } from '../output/colors.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showTaskRun } from '../output/views/run-task.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { TaskContext } from '../tasks/define.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, targetHosts, tasksDirOf, loadProjectTasks } from './fleet-context.ts';

export interface RunTaskOptions extends FleetContextOptions {
  task: string;
  target: string;
  output: Output;
}

export async function runTaskCommand(options: RunTaskOptions): Promise<number> {
  const hosts = targetHosts(options, options.target);
  const tasksDir = tasksDirOf(options);
  const { tasks } = await loadProjectTasks(options);
  const task = tasks.find((t) => t.name === options.task);
  if (!task)
    throw new UsageError(
      `no task named '${options.task}' in ${tasksDir}/ (tasks: ${tasks.map((t) => t.name).join(', ') || 'none'})`,
    );
  const out = options.output;
  const width = Math.max(...hosts.map((h) => h.name.length));
  const fleet = openFleet(options);
  try {
    const { outcomes, summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency },
      async (session, host) => {
        const prefix = `${paint(out.color, hostColor(hosts.indexOf(host)), host.name.padEnd(width))} | `;
        const local = (file: string) => path.resolve(options.cwd, file.replaceAll('{{host}}', host.name));
        const context: TaskContext = {
          host: { name: host.name, address: host.address, user: host.user, vars: host.vars },
          run: (command) => session.exec(command),
          sudo: (command) => session.execAsRoot(command),
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
