import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Output } from '../../../src/output/output.ts';
import { chooseReporter } from '../../../src/output/reporters/choose.ts';
import { jsonReporter } from '../../../src/output/reporters/json.ts';
import { plainReporter } from '../../../src/output/reporters/plain.ts';

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
