// The dashboard pushes every change to every open page, runs one action per host at a time, and reports an action's
// failure (a held lock) as the action's result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dashboard } from '../../../src/ui/dashboard.ts';
import type { DashboardOptions } from '../../../src/ui/dashboard.ts';
import type { ActionProgress, ActionRequest } from '../../../src/ui/actions.ts';
import type { HostView } from '../../../src/ui/model.ts';
import type { ProcessResult } from '../../../src/supervisor/control.ts';

const view = (host: string): HostView => ({ host, reach: 'ok', programs: [], apps: {} });

function page() {
  const events: [string, unknown][] = [];
  return { events, send: (event: string, data: unknown) => events.push([event, data]) };
}

function dashboard(runAction: DashboardOptions['runAction']) {
  const refreshed: string[] = [];
  const d = new Dashboard({ target: 'web', user: 'alice', intervalMs: 2000, runAction });
  d.attach({
    views: () => [view('h10'), view('h2')],
    view: (h) => view(h),
    refresh: async (h, apps) => void refreshed.push(`${h}:${apps}`),
  });
  return { d, refreshed };
}

test('a page gets hello (with the CSRF value), a snapshot in host order, then every change', () => {
  const { d } = dashboard(async () => ({ value: [], ok: true }));
  const p = page();
  const leave = d.join(p, 'csrf-value');
  d.publish(view('h2'));
  leave();
  d.publish(view('h3'));
  assert.deepEqual(
    p.events.map(([e]) => e),
    ['hello', 'snapshot', 'host'],
  );
  assert.deepEqual(p.events[0]?.[1], { target: 'web', user: 'alice', intervalMs: 2000, csrf: 'csrf-value' });
  const snapshot = p.events[1]?.[1] as { hosts: HostView[] };
  assert.deepEqual(
    snapshot.hosts.map((h) => h.host),
    ['h2', 'h10'],
  );
});

test('an action: running, then done with its results, pushed to the page; the host is refreshed with its records', async () => {
  let finish: (r: { value: ProcessResult[]; ok: boolean }) => void = () => undefined;
  const { d, refreshed } = dashboard(() => new Promise((resolve) => (finish = resolve)));
  const p = page();
  d.join(p, 'c');
  const request: ActionRequest = { action: 'restart', host: 'h1', programs: ['web:*'] };
  const started = d.start(request);
  assert.equal(started.ok, true);
  const again = d.start(request);
  assert.deepEqual(again, { ok: false, problem: 'an action is running on h1: wait for it to end' });
  finish({ value: [{ program: 'web:web_00', result: 'restarted', state: 'RUNNING', pid: 7 }], ok: true });
  await new Promise((r) => setImmediate(r));
  const actions = p.events.filter(([e]) => e === 'action').map(([, a]) => a as { state: string; user: string });
  assert.deepEqual(
    actions.map((a) => a.state),
    ['running', 'done'],
  );
  assert.equal(actions[0]?.user, 'alice');
  assert.deepEqual(refreshed, ['h1:true']);
  assert.equal(d.start(request).ok, true, 'the host is free again');
});

test('an action that throws (a deploy holds the lock) ends failed with the message', async () => {
  const { d } = dashboard(async () => {
    throw new Error('h1: web is locked by ci@elsewhere');
  });
  const p = page();
  d.join(p, 'c');
  d.start({ action: 'stop', host: 'h1', programs: ['web:*'] });
  await new Promise((r) => setImmediate(r));
  const last = p.events.at(-1)?.[1] as { state: string; error: string };
  assert.equal(last.state, 'failed');
  assert.equal(last.error, 'h1: web is locked by ci@elsewhere');
});

test('a fleet-wide action: its batches and hosts pushed as they go; no other action meanwhile; every host refreshed', async () => {
  let finish: () => void = () => undefined;
  const { d, refreshed } = dashboard(
    (_r, progress) =>
      new Promise((resolve) => {
        progress({ batch: { index: 1, total: 2 }, hosts: [] });
        progress({ hosts: [{ host: 'h2', status: 'ok' }] });
        finish = () => resolve({ value: [], ok: false });
      }),
  );
  const p = page();
  d.join(p, 'c');
  assert.equal(d.start({ action: 'restart', host: '*', programs: ['web:*'] }).ok, true);
  assert.deepEqual(d.start({ action: 'stop', host: 'h2', programs: ['web:*'] }), {
    ok: false,
    problem: 'an action on every host is running: wait for it to end',
  });
  finish();
  await new Promise((r) => setImmediate(r));
  const actions = p.events.filter(([e]) => e === 'action').map(([, a]) => a as ActionProgress);
  assert.deepEqual(
    actions.map((a) => [a.state, a.batch?.index, a.hosts?.length]),
    [
      ['running', undefined, undefined],
      ['running', 1, 0],
      ['running', 1, 1],
      ['failed', 1, 1],
    ],
  );
  assert.deepEqual(refreshed.sort(), ['h10:true', 'h2:true']);
});

test('a fleet-wide action waits for the actions on single hosts', () => {
  const { d } = dashboard(() => new Promise(() => undefined));
  d.start({ action: 'stop', host: 'h2', programs: ['web:*'] });
  assert.deepEqual(d.start({ action: 'restart', host: '*', programs: ['web:*'] }), {
    ok: false,
    problem: 'actions are running on h2: wait for them to end',
  });
});
