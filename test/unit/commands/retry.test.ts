// `convoy retry` and `convoy runs` read the journal: the recorded command line runs again on the hosts to redo, with
// the first run's release time and digests; nothing to redo is said and exits 0; no run recorded is bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { ConvoyError } from '../../../src/errors.ts';
import { retryCommand, runsCommand } from '../../../src/commands/retry.ts';
import type { RetryPlan } from '../../../src/commands/run-journal.ts';
import { RunJournal } from '../../../src/commands/run-journal.ts';
import { captureOutput } from '../support/output.ts';
import { retriedHosts } from '../../../src/commands/fleet-context.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';

let project: string;
beforeEach(() => {
  project = mkdtempSync(path.join(os.tmpdir(), 'convoy-retry-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function recorded(argv: string[], outcomes: Record<string, 'ok' | 'failed' | 'unreachable'>, retryOf?: string) {
  const j = new RunJournal({ projectDir: project, argv, env: {}, warn: () => {}, retryOf });
  const releaseTime = new Date('2026-12-02T10:00:00Z');
  j.begin({ command: 'deploy', target: 'web', hosts: Object.keys(outcomes), releaseTime, digests: { api: 'ab12' } });
  for (const [host, state] of Object.entries(outcomes)) if (state) j.finished(host, state);
  j.end(Object.values(outcomes).every((s) => s === 'ok') ? 0 : 1);
  return j.id;
}

test('a retry runs the recorded command line again on the hosts to redo, with the release time and digests', async () => {
  const id = recorded(['-i', 'fleet.ini', 'deploy', 'web', 'api'], { h1: 'ok', h2: 'failed', h3: 'unreachable' });
  const calls: { argv: readonly string[]; plan: RetryPlan }[] = [];
  const { out } = captureOutput();
  const code = await retryCommand({
    cwd: project,
    output: out,
    rerun: async (argv, plan) => {
      calls.push({ argv, plan });
      return 0;
    },
  });
  assert.equal(code, 0);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]!.argv, ['-i', 'fleet.ini', 'deploy', 'web', 'api']);
  assert.equal(calls[0]!.plan.of, id);
  assert.deepEqual([...calls[0]!.plan.hosts], ['h2', 'h3']);
  assert.equal(calls[0]!.plan.releaseTime?.toISOString(), '2026-12-02T10:00:00.000Z');
  assert.deepEqual(calls[0]!.plan.digests, { api: 'ab12' });
});

test('nothing to retry is said, and exits 0 without running anything', async () => {
  const id = recorded(['exec', 'web', '--', 'true'], { h1: 'ok', h2: 'ok' });
  const { out, lines } = captureOutput();
  const code = await retryCommand({ cwd: project, run: id.slice(0, 4), output: out, rerun: () => assert.fail() });
  assert.equal(code, 0);
  assert.match(lines.join('\n'), new RegExp(`nothing to retry: every host of run ${id} \\(convoy exec web -- true\\)`));
});

test('no run recorded (or no such run) is bad input: exit 2', async () => {
  const { out } = captureOutput();
  await assert.rejects(
    retryCommand({ cwd: project, output: out, rerun: () => assert.fail() }),
    (e: unknown) => e instanceof ConvoyError && e.exitCode === 2 && /no run recorded yet/.test(e.message),
  );
});

test('runs lists the newest first with counts, and the run a retry retried', async () => {
  const first = recorded(['deploy', 'web'], { h1: 'ok', h2: 'failed' });
  await new Promise((resolve) => setTimeout(resolve, 5)); // a later start time
  const second = recorded(['deploy', 'web'], { h2: 'ok' }, first);
  const { out, records } = captureOutput(true);
  assert.equal(runsCommand({ cwd: project, count: 10, output: out }), 0);
  assert.deepEqual(
    records.map((r) => [r.id, r.retryOf, r.counts]),
    [
      [second, first, { ok: 1, failed: 0, unreachable: 0, skipped: 0, pending: 0 }],
      [first, undefined, { ok: 1, failed: 1, unreachable: 0, skipped: 0, pending: 0 }],
      [undefined, undefined, undefined],
    ],
  );
  assert.deepEqual(records.at(-1), { type: 'summary', command: 'runs', runs: 2, exitCode: 0 });
});

test('a retry whose hosts are no longer in the target is bad input (exit 2), naming them', () => {
  const options = {
    globals: { inventory: 'fleet.ini', tasks: 'tasks', json: false, color: false },
    cwd: project,
    env: {},
    retry: { of: 'r1', hosts: new Set(['gone1', 'gone2']) },
  };
  const web1 = { name: 'web1' } as HostConfig;
  assert.throws(
    () => retriedHosts(options, [web1], 'web'),
    (e: unknown) =>
      e instanceof ConvoyError &&
      e.exitCode === 2 &&
      e.message === "retry of run r1: none of its hosts to redo (gone1, gone2) is in 'web' any more",
  );
  assert.deepEqual(retriedHosts({ ...options, retry: { of: 'r1', hosts: new Set(['web1']) } }, [web1], 'web'), [web1]);
});

test('runs, as a table: the command line as typed, counts, and a run that never ended', async () => {
  const j = new RunJournal({ projectDir: project, argv: ['exec', 'web', '--', 'echo hi'], env: {}, warn: () => {} });
  j.begin({ command: 'exec', target: 'web', hosts: ['h1', 'h2'] });
  j.finished('h1', 'ok');
  // Outcomes are written once the event loop's turn ends (run-journal.ts).
  await new Promise((resolve) => setImmediate(resolve));
  const { out, lines } = captureOutput();
  runsCommand({ cwd: project, count: 10, output: out });
  assert.match(lines[0]!, /^RUN\s+STARTED\s+BY\s+COMMAND\s+OK\s+FAILED\s+UNREACHABLE\s+SKIPPED\s+NOT REACHED\s+NOTE$/);
  assert.match(
    lines[1]!,
    new RegExp(
      `^${j.id}\\s+\\S+ \\S+Z\\s+\\S+@\\S+\\s+convoy exec web -- 'echo hi'\\s+1\\s+0\\s+0\\s+0\\s+1\\s+never ended \\(killed, or still running\\)$`,
    ),
  );
});
