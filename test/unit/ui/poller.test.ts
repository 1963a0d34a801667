// The poller: one process-list call per host per poll over a kept session, the records read at the first poll and
// after a refresh only, a view handed on only when it changed, a failed host a view and tried again anew.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConvoyError, ExitCode } from '../../../src/errors.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';
import type { ProcessInfo } from '../../../src/supervisor/process-info.ts';
import { FleetPoller, pollTimeoutFor } from '../../../src/ui/poller.ts';
import type { PolledSession } from '../../../src/ui/poller.ts';
import type { HostView } from '../../../src/ui/model.ts';
import { processInfo } from '../support/fake-supervisord.ts';
import { SupervisorTimeoutError } from '../../../src/supervisor/client.ts';

const host = (name: string) => ({ name }) as HostConfig;

class FakeSession implements PolledSession {
  lost = false;
  calls = 0;
  relogs = 0;
  boundedMs = 0;
  /** Takes the call and never answers: the poll's bounded call times out. */
  silent = false;
  constructor(public processes: ProcessInfo[]) {}
  async relog() {
    this.relogs++;
    this.lost = false;
  }
  supervisor() {
    return {
      bounded: (ms: number) => {
        this.boundedMs = ms;
        return {
          getAllProcessInfo: async () => {
            this.calls++;
            if (this.silent) throw new SupervisorTimeoutError(`supervisord did not answer within ${ms} ms`);
            return this.processes;
          },
        };
      },
    };
  }
}

function setup(sessions: Map<string, FakeSession | Error>) {
  const views: HostView[] = [];
  const opened: string[] = [];
  const forgotten: string[] = [];
  const appReads: string[] = [];
  const poller = new FleetPoller<FakeSession>({
    hosts: [...sessions.keys()].map(host),
    intervalMs: 60_000,
    pollTimeoutMs: 7000,
    source: {
      session: async (h) => {
        opened.push(h.name);
        const s = sessions.get(h.name)!;
        if (s instanceof Error) throw s;
        return s;
      },
      forget: (h) => forgotten.push(h.name),
    },
    readApps: async (_s, h, groups) => {
      appReads.push(`${h.name}:${groups.join(',')}`);
      return { web: { release: 'r1' } };
    },
    onView: (v) => views.push(v),
  });
  const pollAll = () => Promise.all(poller.views().map((v) => poller.refresh(v.host, false)));
  return { poller, views, opened, forgotten, appReads, pollAll };
}

test('each poll is one call per host; the records are read once; an unchanged host sends nothing', async () => {
  const s1 = new FakeSession([processInfo('web_00', 'web', 'RUNNING')]);
  const { poller, views, appReads, pollAll } = setup(new Map([['h1', s1]]));
  assert.equal(poller.view('h1')?.reach, 'connecting');
  await pollAll();
  await pollAll();
  poller.stop();
  assert.equal(s1.calls, 2);
  assert.deepEqual(appReads, ['h1:web']);
  assert.equal(views.length, 1);
  assert.deepEqual(views[0]?.apps, { web: { release: 'r1' } });
  assert.equal(views[0]?.programs[0]?.state, 'RUNNING');
});

test('a change is handed on; a refresh with apps reads the records again', async () => {
  const s1 = new FakeSession([processInfo('web_00', 'web', 'RUNNING')]);
  const { poller, views, appReads, pollAll } = setup(new Map([['h1', s1]]));
  await pollAll();
  s1.processes = [processInfo('web_00', 'web', 'STOPPED')];
  await poller.refresh('h1', true);
  poller.stop();
  assert.deepEqual(
    views.map((v) => v.programs[0]?.state),
    ['RUNNING', 'STOPPED'],
  );
  assert.equal(appReads.length, 2);
});

test('an unreachable host is a view, its session forgotten so that the next poll connects anew', async () => {
  const lost = new ConvoyError('h2: connect timeout', { exitCode: ExitCode.unreachable });
  const { poller, views, opened, forgotten, pollAll } = setup(new Map<string, FakeSession | Error>([['h2', lost]]));
  await pollAll();
  await pollAll();
  poller.stop();
  assert.deepEqual(opened, ['h2', 'h2']);
  assert.deepEqual(forgotten, ['h2', 'h2']);
  assert.equal(views.length, 1);
  assert.equal(views[0]?.reach, 'unreachable');
  assert.equal(views[0]?.error, 'h2: connect timeout');
});

test('a supervisord that takes the call and never answers: its host shows so past the poll timeout, the others go on', async () => {
  const silent = new FakeSession([processInfo('web_00', 'web', 'RUNNING')]);
  silent.silent = true;
  const fine = new FakeSession([processInfo('web_00', 'web', 'RUNNING')]);
  const { poller, pollAll } = setup(
    new Map([
      ['h1', silent],
      ['h2', fine],
    ]),
  );
  await pollAll();
  poller.stop();
  assert.equal(silent.boundedMs, 7000, "the poll's call is bounded by the poll timeout");
  assert.equal(poller.view('h1')?.reach, 'supervisord-not-answering');
  assert.match(poller.view('h1')?.error ?? '', /did not answer/);
  assert.equal(poller.view('h2')?.reach, 'ok');
});

test('the poll timeout: the interval, at least 5 s, at most 30 s', () => {
  assert.deepEqual([200, 2000, 10_000, 3_600_000].map(pollTimeoutFor), [5000, 5000, 10_000, 30_000]);
});

test('a lost connection logs in again before the call', async () => {
  const s1 = new FakeSession([]);
  s1.lost = true;
  const { poller, pollAll } = setup(new Map([['h1', s1]]));
  await pollAll();
  poller.stop();
  assert.equal(s1.relogs, 1);
  assert.equal(poller.view('h1')?.reach, 'ok');
});

test('start polls every host at once, then every interval', async () => {
  const s1 = new FakeSession([]);
  const views: HostView[] = [];
  const poller = new FleetPoller<FakeSession>({
    hosts: [host('h1')],
    intervalMs: 20,
    pollTimeoutMs: 5000,
    source: { session: async () => s1, forget: () => undefined },
    readApps: async () => ({}),
    onView: (v) => views.push(v),
  });
  poller.start();
  const deadline = Date.now() + 5000;
  while (s1.calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  poller.stop();
  const calls = s1.calls;
  assert.ok(calls >= 3, `${calls} polls in 5 s at 20 ms`);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(s1.calls, calls, 'no poll after stop');
  assert.equal(views.length, 1);
});
