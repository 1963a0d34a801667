// A rolling restart's time per batch, split by supervisord's own log (prints numbers; used by round-trips.ts): the
// hosts' supervisord write, with milliseconds, when each program stopped, was spawned and entered RUNNING, so what
// is supervisord's (its stop, startsecs, the tick that declares RUNNING) and the gate's settle window can be told
// apart from what Convoy adds (the calls between them, the lock read and record, the step to the next batch).
// All sandbox hosts share this machine's clock, so the hosts' lines can be compared with each other.
import { median } from './measure.ts';

/** One program's restart on one host, in ms since the epoch, from supervisord's log. */
export interface Restart {
  host: string;
  stopped: number;
  spawned: number;
  running: number;
}

// A stop by signal is a WARN (`stopped: trips (terminated by SIGTERM)`), a clean exit an INFO.
const linePattern = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (?:INFO|WARN) (stopped|spawned|success): '?([^' ]+)'?/;

/** supervisord writes local time with a comma before the milliseconds: `2026-12-03 05:33:10,123`. */
function timeOf(stamp: string, ms: string): number {
  return new Date(`${stamp.replace(' ', 'T')}.${ms}`).getTime();
}

/** The last stop → spawn → RUNNING of `program` in a host's supervisord log at or after `since`, if any. */
export function restartIn(host: string, log: string, program: string, since: number): Restart | undefined {
  const seen: Partial<Record<'stopped' | 'spawned' | 'success', number>> = {};
  for (const line of log.split('\n')) {
    const m = linePattern.exec(line);
    if (!m || m[4] !== program) continue;
    const at = timeOf(m[1]!, m[2]!);
    if (at >= since) seen[m[3] as 'stopped' | 'spawned' | 'success'] = at;
  }
  const { stopped, spawned, success } = seen;
  if (stopped === undefined || spawned === undefined || success === undefined) return undefined;
  return { host, stopped, spawned, running: success };
}

export interface BatchSplit {
  batches: number;
  /** Median over batches, ms: supervisord's own time (stop to RUNNING, startsecs and its tick included). */
  supervisordMs: number;
  /** Median, ms: from the batch's last RUNNING to the next batch's first stop, less the settle window. */
  betweenMs: number;
  /** Median, ms: inside a batch, from the last stop to the last spawn (the start call after the stop answered). */
  stopToStartMs: number;
  /** betweenMs + stopToStartMs: what Convoy adds per batch above the gates and supervisord. */
  overheadMs: number;
}

/**
 * Splits the restarts into batches of `size` by stop time (a rolling restart's batches do not overlap), then times
 * each. `settleMs` is the gate's settle window, which runs after RUNNING and before the next batch.
 */
export function splitBatches(restarts: readonly Restart[], size: number, settleMs: number): BatchSplit {
  const ordered = [...restarts].sort((a, b) => a.stopped - b.stopped);
  const batches: Restart[][] = [];
  for (let i = 0; i < ordered.length; i += size) batches.push(ordered.slice(i, i + size));
  const last = (b: Restart[], k: keyof Restart) => Math.max(...b.map((r) => r[k] as number));
  const first = (b: Restart[], k: keyof Restart) => Math.min(...b.map((r) => r[k] as number));
  const supervisord = batches.map(
    (b) => last(b, 'running') - first(b, 'stopped') - (last(b, 'spawned') - last(b, 'stopped')),
  );
  const stopToStart = batches.map((b) => last(b, 'spawned') - last(b, 'stopped'));
  const between = batches.slice(1).map((b, i) => first(b, 'stopped') - last(batches[i]!, 'running') - settleMs);
  const betweenMs = median(between);
  const stopToStartMs = median(stopToStart);
  return {
    batches: batches.length,
    supervisordMs: median(supervisord),
    betweenMs,
    stopToStartMs,
    overheadMs: betweenMs + stopToStartMs,
  };
}
