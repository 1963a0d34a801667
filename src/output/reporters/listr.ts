// The TTY view: listr2 draws one row per host, grouped by batch, with its current step and elapsed time. Convoy
// schedules the hosts itself (listr2 would stop its queue at the first failure); each row only mirrors events.
import { Listr, PRESET_TIMER } from 'listr2';
import type { Reporter, RunEvent } from '../events.ts';

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
  task?: RowTask;
}

function newRow(): Row {
  let settle: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  done.catch(() => {});
  return { done, finish: (error) => settle(error), skipped: false };
}

export function listrReporter(): Reporter {
  const rows = new Map<string, Row>();
  let drawing: Promise<unknown> = Promise.resolve();
  return {
    begin: (batches) => {
      for (const host of batches.flat()) rows.set(host, newRow());
      const list = new Listr(
        batches.map((hosts, index) => ({
          title:
            batches.length > 1
              ? `batch ${index + 1}/${batches.length}: ${hosts.join(', ')}`
              : `${hosts.length} host${hosts.length === 1 ? '' : 's'}`,
          task: (_ctx, batch) =>
            batch.newListr(
              hosts.map((host) => ({
                title: host,
                task: async (_c, task) => {
                  const row = rows.get(host);
                  if (!row) return;
                  row.task = task as unknown as RowTask;
                  await row.done;
                  if (row.skipped) task.skip(`${host}: not touched`);
                },
              })),
              { concurrent: true, exitOnError: false },
            ),
        })),
        { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false, timer: PRESET_TIMER } },
      );
      drawing = list.run().catch(() => {});
    },
    event: (e: RunEvent) => {
      if (e.type !== 'step' && e.type !== 'host') return;
      const row = rows.get(e.host);
      if (!row) return;
      if (e.type === 'step') {
        if (row.task) row.task.output = `${e.step}${e.detail ? ` ${e.detail}` : ''}`;
        return;
      }
      if (row.task) row.task.title = `${e.host}: ${e.status}${e.detail ? ` (${e.detail})` : ''}`;
      if (e.status === 'skipped') {
        row.skipped = true;
        row.finish();
      } else {
        row.finish(
          e.status === 'ok' ? undefined : new Error(`${e.host}: ${e.status}${e.detail ? `: ${e.detail}` : ''}`),
        );
      }
    },
    end: async () => {
      for (const row of rows.values()) row.finish();
      await drawing;
    },
  };
}
