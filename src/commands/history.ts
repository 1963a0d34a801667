// `convoy history [target] [app]`: what was deployed where, by whom and from which commit, read from every host's
// deploy record (one read-only round trip per host) and merged into one row per run; hosts whose `current`
// disagrees with the others' are named. Changes nothing; an unreachable host is a row of its own, never hides others.
import { UsageError } from '../errors.ts';
import type { HistoryApp, HostHistory } from '../deploy/history.ts';
import { currentAgreement, historyReadCommand, mergeHistory, parseHistoryRead } from '../deploy/history.ts';
import { runOnSessions } from '../host/fleet.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import type { Output } from '../output/output.ts';
import { showHistory } from '../output/views/history.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, loadProjectTasks, openFleet, loadTarget, tasksDirOf } from './fleet-context.ts';

export interface HistoryCommandOptions extends FleetContextOptions {
  target: string;
  /** One app; undefined: every app of the task files. */
  app?: string | undefined;
  /** Rows shown, newest first. */
  limit: number;
  /** Only deploys and rollbacks. */
  deploysOnly: boolean;
  output: Output;
}

/** The apps to read (name and root, from the task files): the one named, or all of them. */
async function appsToRead(options: HistoryCommandOptions): Promise<HistoryApp[]> {
  const { apps } = await loadProjectTasks(options);
  const known = apps.map((a) => ({ name: a.spec.name, root: a.spec.root }));
  if (options.app === undefined) {
    if (known.length === 0) throw new UsageError(`history: no app in ${tasksDirOf(options)}/ to read the history of`);
    return known;
  }
  const chosen = known.filter((a) => a.name === options.app);
  if (chosen.length === 0) {
    const names = known.map((a) => a.name).join(', ') || 'none';
    throw new UsageError(`history: no app named '${options.app}' in ${tasksDirOf(options)}/ (apps: ${names})`);
  }
  return chosen;
}

export async function historyCommand(options: HistoryCommandOptions): Promise<number> {
  const { inventory, hosts } = loadTarget(options, options.target);
  const apps = await appsToRead(options);
  const fleet = openFleet(options, inventory);
  const concurrency = options.globals.concurrency ?? defaultConcurrency;
  const script = historyReadCommand(apps);
  let read;
  try {
    read = await runOnSessions(fleet, hosts, { concurrency }, async (session) => ({
      value: parseHistoryRead(await session.run('read the deploy records', script, { keptShell: true })),
      ok: true,
    }));
  } finally {
    await fleet.close();
  }
  const reached: HostHistory[] = read.outcomes.flatMap((o) => (o.value ? [{ host: o.host, apps: o.value }] : []));
  const rows = mergeHistory(reached, { limit: options.limit, deploysOnly: options.deploysOnly });
  const exitCode = exitCodeFor(read.summary);
  showHistory(options.output, {
    rows,
    agreement: currentAgreement(reached),
    outcomes: read.outcomes,
    summary: read.summary,
    exitCode,
  });
  return exitCode;
}
