// The TTY view: listr2 draws one row per host, grouped by batch, with its current step and elapsed time. Convoy
// schedules the hosts itself (listr2 would stop its queue at the first failure); each row only mirrors events.
import { Listr, PRESET_TIMER } from 'listr2';
import type { ListrTask } from 'listr2';
import type { Reporter, RunEvent } from '../events.ts';

/** listr2's `task.newListr`, as the batches use it (typed loosely: the renderer is chosen at run time). */
type NewListr = (
  tasks: unknown[],
  options: { concurrent: boolean; exitOnError: boolean },
) => { run(): Promise<unknown> };

interface BatchTask {
  newListr: NewListr;
  skip(message?: string): void;
}

/** What a row needs from listr2's task wrapper. */
interface RowTask {
  output: string;
  title: string;
  skip(message?: string): void;
}

interface Row {
  done: Promise<void>;
  finish(error?: Error): void;
  skipped: boolean;
  /** Ended failed or unreachable: its batch is shown failed too. */
  failed: boolean;
  /** Its end is known (finish was called). */
  ended: boolean;
  /** The row's last words (`web1: ok (…)`), kept until its task starts when the host ended before its batch. */
  title?: string;
  task?: RowTask;
}

function newRow(): Row {
  let settle: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  done.catch(() => {});
  const row: Row = {
    done,
    finish: (error) => {
      row.ended = true;
      settle(error);
    },
    skipped: false,
    failed: false,
    ended: false,
  };
  return row;
}

function batchTitle(batches: readonly (readonly string[])[], index: number): string {
  const hosts = batches[index] ?? [];
  if (batches.length > 1) return `batch ${index + 1}/${batches.length}: ${hosts.join(', ')}`;
  return `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
}

/** A host's row: it waits for the host's end, then shows it (skipped rows as skipped, not passed). */
function hostTask(rows: ReadonlyMap<string, Row>, host: string) {
  return {
    title: host,
    task: async (_ctx: unknown, task: RowTask) => {
      const row = rows.get(host);
      if (!row) return;
      row.task = task;
      if (row.title) task.title = row.title;
      await row.done;
      if (row.skipped) task.skip(`${host}: not touched`);
    },
  };
}

/** `renderer: 'test'` writes listr2's state events as JSON lines (unit tests); default: the terminal view. */
export interface ListrReporterOptions {
  renderer?: 'default' | 'test';
}

/** The staging group: a row per host, done once the host is staged (or has ended, failing to stage). */
function stagingTask(rows: ReadonlyMap<string, Row>, hosts: readonly string[]) {
  const title = `staging ${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
  return {
    title,
    task: async (_ctx: unknown, group: BatchTask) => {
      const subtasks = hosts.map((host) => hostTask(rows, host));
      await group.newListr(subtasks, { concurrent: true, exitOnError: false }).run();
      const failed = hosts.filter((h) => rows.get(h)?.failed);
      if (failed.length > 0)
        throw new Error(`${failed.length} of ${hosts.length} failed to stage: ${failed.join(', ')}`);
    },
  };
}

/** A row's end: its title says how, its task passes, fails or is skipped. */
function finishRow(row: Row, e: Extract<RunEvent, { type: 'host' }>): void {
  row.title = `${e.host}: ${e.status}${e.detail ? ` (${e.detail})` : ''}`;
  if (row.task) row.task.title = row.title;
  if (e.status === 'skipped') {
    row.skipped = true;
    row.finish();
    return;
  }
  row.failed = e.status !== 'ok';
  row.finish(e.status === 'ok' ? undefined : new Error(`${e.host}: ${e.status}${e.detail ? `: ${e.detail}` : ''}`));
}

function stepText(e: Extract<RunEvent, { type: 'step' }>): string {
  return `${e.step}${e.detail ? ` ${e.detail}` : ''}`;
}

/** The whole view: the staging group (a deploy), then the batches one after the other. */
function buildList(
  batches: readonly (readonly string[])[],
  rows: { batches: ReadonlyMap<string, Row>; staging: ReadonlyMap<string, Row> | undefined },
  renderer: ListrReporterOptions['renderer'],
) {
  // Typed loosely: the task wrappers' types depend on the renderer, chosen at run time.
  const tasks = [
    ...(rows.staging ? [stagingTask(rows.staging, batches.flat())] : []),
    ...batches.map((hosts, index) => ({
      title: batchTitle(batches, index),
      // A batch whose every host was skipped (the rollout stopped before it) is skipped too, not passed.
      task: async (_ctx: unknown, batch: BatchTask) => {
        const subtasks = hosts.map((host) => hostTask(rows.batches, host));
        await batch.newListr(subtasks, { concurrent: true, exitOnError: false }).run();
        if (hosts.every((h) => rows.batches.get(h)?.skipped)) batch.skip(`${batchTitle(batches, index)}: not touched`);
        const failed = hosts.filter((h) => rows.batches.get(h)?.failed);
        if (failed.length > 0) throw new Error(`${failed.length} of ${hosts.length} failed: ${failed.join(', ')}`);
      },
    })),
  ] as unknown as ListrTask[];
  if (renderer === 'test') return new Listr(tasks, { concurrent: false, exitOnError: false, renderer: 'test' });
  return new Listr(tasks, {
    concurrent: false,
    exitOnError: false,
    rendererOptions: { collapseSubtasks: false, timer: PRESET_TIMER },
  });
}

/** A step or end of a host still staging: its staging row shows it, and ends when the host is staged. */
function onStaging(row: Row, e: Extract<RunEvent, { type: 'step' | 'host' }>): void {
  if (e.type === 'host') return finishRow(row, e);
  if (row.task) row.task.output = stepText(e);
  if (!e.staged) return;
  row.title = `${e.host}: ${stepText(e)}`;
  if (row.task) row.task.title = row.title;
  row.finish();
}

export function listrReporter(options: ListrReporterOptions = {}): Reporter {
  const rows = new Map<string, Row>();
  /** While a deploy stages: the staging rows, until each host is staged. */
  const staging = new Map<string, Row>();
  let drawing: Promise<unknown> = Promise.resolve();
  const stagingRow = (host: string) => {
    const row = staging.get(host);
    return row && !row.ended ? row : undefined;
  };
  return {
    begin: (batches, phases = {}) => {
      for (const host of batches.flat()) rows.set(host, newRow());
      if (phases.staging) for (const host of batches.flat()) staging.set(host, newRow());
      const list = buildList(
        batches,
        { batches: rows, staging: phases.staging ? staging : undefined },
        options.renderer,
      );
      drawing = list.run().catch(() => {});
    },
    event: (e: RunEvent) => {
      if (e.type === 'batch') for (const host of e.hosts) stagingRow(host)?.finish();
      if (e.type !== 'step' && e.type !== 'host') return;
      const staged = stagingRow(e.host);
      if (staged) onStaging(staged, e);
      const row = rows.get(e.host);
      if (!row) return;
      if (e.type === 'step') {
        if (row.task) row.task.output = stepText(e);
        return;
      }
      finishRow(row, e);
    },
    end: async () => {
      for (const row of [...staging.values(), ...rows.values()]) row.finish();
      await drawing;
    },
  };
}
