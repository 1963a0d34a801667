import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Output } from '../../../src/output/output.ts';
import { chooseReporter } from '../../../src/output/reporters/choose.ts';
import { jsonReporter } from '../../../src/output/reporters/json.ts';
import { plainReporter } from '../../../src/output/reporters/plain.ts';
import { listrReporter } from '../../../src/output/reporters/listr.ts';

function capture(jsonMode = false): Output & { lines: string[] } {
  const lines: string[] = [];
  return {
    jsonMode,
    color: false,
    lines,
    line: (t) => lines.push(t),
    record: (v) => lines.push(JSON.stringify(v)),
    warn: () => {},
  };
}

test('plain lines: batches, steps and results prefixed by host, aligned, whole lines', async () => {
  const out = capture();
  const r = plainReporter(out);
  r.begin([['web1', 'web10'], ['web2']]);
  r.event({ type: 'batch', index: 0, total: 2, hosts: ['web1', 'web10'] });
  r.event({ type: 'step', host: 'web1', step: 'restart', detail: 'web:*' });
  r.event({ type: 'host', host: 'web10', status: 'failed', durationMs: 1234, detail: 'spawn error' });
  r.event({ type: 'host', host: 'web2', status: 'skipped', durationMs: 0 });
  await r.end();
  assert.deepEqual(out.lines, [
    'batch 1/2: web1, web10',
    '[web1]  restart web:*',
    '[web10] failed 1.2s: spawn error',
    '[web2]  skipped 0.0s',
  ]);
});

test('--json: one object per line, typed, in order', async () => {
  const out = capture(true);
  const r = jsonReporter(out);
  r.begin([['a']]);
  r.event({ type: 'host', host: 'a', status: 'ok', durationMs: 5 });
  const parsed = out.lines.map((l) => JSON.parse(l) as { type: string; host?: string });
  assert.deepEqual(
    parsed.map((p) => p.type),
    ['plan', 'host'],
  );
  assert.equal(parsed[1]?.host, 'a');
  assert.ok(out.lines.every((l) => !l.includes('\n')));
});

test('the reporter follows the terminal: JSON with --json, plain lines when not a TTY', () => {
  assert.equal(chooseReporter(capture(true), true).begin.name, jsonReporter(capture(true)).begin.name);
  const plain = capture();
  chooseReporter(plain, false).event({ type: 'note', text: 'hello' });
  assert.deepEqual(plain.lines, ['hello']);
});

/** Runs `drive` with listr2's test renderer and returns its state events (it writes them to stdout as JSON). */
async function listrEvents(drive: () => Promise<void>) {
  const events: { event: string; data: unknown; task: { path: string[] } }[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        events.push(JSON.parse(line) as (typeof events)[number]);
      } catch {
        write(line + '\n');
      }
    }
    return true;
  }) as typeof process.stdout.write;
  try {
    await drive();
  } finally {
    process.stdout.write = write;
  }
  return events;
}

test('TTY view: a batch whose every host was skipped is shown skipped, not passed', async () => {
  const events = await listrEvents(async () => {
    const r = listrReporter({ renderer: 'test' });
    r.begin([['a'], ['b', 'c']]);
    r.event({ type: 'host', host: 'a', status: 'failed', durationMs: 5, detail: 'health check failed' });
    r.event({ type: 'host', host: 'b', status: 'skipped', durationMs: 0 });
    r.event({ type: 'host', host: 'c', status: 'skipped', durationMs: 0 });
    await r.end();
  });
  const finalState = (title: string) =>
    events.filter((e) => e.event === 'STATE' && e.task.path.at(-1)?.startsWith(title)).at(-1)?.data;
  assert.equal(finalState('batch 2/2: b, c'), 'SKIPPED');
  assert.equal(finalState('b'), 'SKIPPED');
  assert.equal(finalState('batch 1/2: a'), 'FAILED');
});

test('TTY view of a deploy: staging shows as its own group, host by host, before the batches', async () => {
  const events = await listrEvents(async () => {
    const r = listrReporter({ renderer: 'test' });
    r.begin([['a'], ['b']], { staging: true });
    r.event({ type: 'step', host: 'a', step: 'hello: upload', detail: '5.1 kB' });
    r.event({ type: 'step', host: 'a', step: 'hello: staged', detail: 'R2', staged: true });
    r.event({ type: 'step', host: 'b', step: 'hello: staged', detail: 'R2', staged: true });
    r.event({ type: 'batch', index: 0, total: 2, hosts: ['a'] });
    r.event({ type: 'host', host: 'a', status: 'ok', durationMs: 5 });
    r.event({ type: 'batch', index: 1, total: 2, hosts: ['b'] });
    r.event({ type: 'host', host: 'b', status: 'ok', durationMs: 5 });
    await r.end();
  });
  const started = events.filter((e) => e.event === 'STATE' && e.data === 'STARTED').map((e) => e.task.path.join(' > '));
  assert.equal(started[0], 'staging 2 hosts', started.join('\n'));
  assert.ok(started.includes('staging 2 hosts > a'));
  const finalState = (title: string) =>
    events.filter((e) => e.event === 'STATE' && e.task.path.join(' > ').startsWith(title)).at(-1)?.data;
  assert.equal(finalState('staging 2 hosts'), 'COMPLETED');
  assert.equal(finalState('batch 2/2: b'), 'COMPLETED');
});
