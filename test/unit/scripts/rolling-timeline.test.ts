// The benchmark's split of a rolling restart by the hosts' supervisord logs (scripts/bench/rolling-timeline.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartIn, splitBatches } from '../../../scripts/bench/rolling-timeline.ts';

const log = `2026-12-03 05:00:00,100 WARN stopped: trips (terminated by SIGTERM)
2026-12-03 05:00:00,120 INFO spawned: 'trips' with pid 10
2026-12-03 05:00:01,130 INFO success: trips entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)
2026-12-03 05:00:05,000 WARN stopped: trips (terminated by SIGTERM)
2026-12-03 05:00:05,010 INFO spawned: 'trips' with pid 11
2026-12-03 05:00:05,011 INFO spawned: 'other' with pid 12
2026-12-03 05:00:06,020 INFO success: trips entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)
`;
const at = (clock: string) => new Date(`2026-12-03T${clock}`).getTime();

test("the restart after `since`, by supervisord's stamps (local time, milliseconds); other programs ignored", () => {
  assert.deepEqual(restartIn('h1', log, 'trips', at('05:00:02')), {
    host: 'h1',
    stopped: at('05:00:05.000'),
    spawned: at('05:00:05.010'),
    running: at('05:00:06.020'),
  });
  assert.equal(restartIn('h1', log, 'trips', at('05:00:07')), undefined);
  assert.equal(restartIn('h1', log, 'nothing', 0), undefined);
});

test('batches by stop time: supervisord time, the settle window and what is left between batches', () => {
  // Two batches of two: each host stops, is spawned 10 ms later and RUNNING 1 s after; the next batch stops 1.1 s
  // after the last RUNNING of the previous one (settle 1 s + 100 ms).
  const host = (name: string, stopped: number) => ({
    host: name,
    stopped,
    spawned: stopped + 10,
    running: stopped + 1010,
  });
  const split = splitBatches([host('b', 5), host('a', 0), host('c', 2115), host('d', 2120)], 2, 1000);
  assert.equal(split.batches, 2);
  assert.equal(split.stopToStartMs, 10);
  assert.equal(split.betweenMs, 2115 - 1015 - 1000);
  assert.equal(split.overheadMs, 110);
  assert.equal(split.supervisordMs, 1010 + 5 - 10);
});
