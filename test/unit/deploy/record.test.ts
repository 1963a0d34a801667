// The deploy record: what converges a host after a run was cut off, and what rollback goes back to.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { RecordEntry } from '../../../src/deploy/record.ts';
import {
  appendRecordCommand,
  confDigest,
  parseRecord,
  recordLength,
  rollbackTarget,
  verifiedAndRunning,
} from '../../../src/deploy/record.ts';
import { appPaths } from '../../../src/deploy/remote-state.ts';

const by = { login: 'deploy', user: 'alice', machine: 'laptop', pid: 1 };
const conf = '[group:web]\nprograms=web\n';
const entry = (release: string, outcome: RecordEntry['outcome'], extra: Partial<RecordEntry> = {}): RecordEntry => ({
  v: 1,
  at: '2026-12-02T00:00:00.000Z',
  run: 'r',
  action: 'deploy',
  outcome,
  app: 'web',
  release,
  confDigest: confDigest(conf),
  processes: [{ name: 'web:web', pid: 10, start: 1000 }],
  by,
  ...extra,
});
const running = [{ name: 'web:web', statename: 'RUNNING', pid: 10, start: 1000 }];

test('unchanged only when the current release and conf were verified and the same processes run since', () => {
  const record = [entry('A', 'verified')];
  assert.deepEqual(verifiedAndRunning(record, 'A', conf, running), { ok: true });
  assert.match(reason(verifiedAndRunning(record, 'B', conf, running)), /release B was never verified/);
  assert.match(reason(verifiedAndRunning(record, 'A', conf + '; edit\n', running)), /conf was never verified/);
  const stopped = [{ ...running[0]!, statename: 'STOPPED' }];
  assert.match(reason(verifiedAndRunning(record, 'A', conf, stopped)), /web:web is STOPPED/);
  const restarted = [{ ...running[0]!, pid: 11, start: 1005 }];
  assert.match(reason(verifiedAndRunning(record, 'A', conf, restarted)), /restarted since/);
  assert.match(reason(verifiedAndRunning([], 'A', conf, running)), /never verified/);
  assert.match(reason(verifiedAndRunning([entry('A', 'reverted')], 'A', conf, running)), /never verified/);
});

function reason(r: { ok: true } | { ok: false; reason: string }): string {
  return r.ok ? 'ok' : r.reason;
}

test('rollback goes to the release verified before the current one: deploy A, B, A, C, then rollback is A', () => {
  const record = ['A', 'B', 'A', 'C'].map((r) => entry(r, 'verified'));
  assert.equal(rollbackTarget(record, 'C', ['A', 'B', 'C']), 'A');
});

test('rollback never goes to a release that failed or was never live, nor to one no longer on disk', () => {
  const record = [entry('A', 'verified'), entry('B', 'verified'), entry('X', 'reverted'), entry('C', 'verified')];
  assert.equal(rollbackTarget(record, 'C', ['A', 'B', 'C', 'X', 'S']), 'B');
  assert.equal(rollbackTarget(record, 'C', ['A', 'C', 'X']), 'A');
  assert.equal(rollbackTarget(record, 'C', ['C', 'X']), undefined);
  assert.equal(rollbackTarget([], 'C', ['A', 'C']), undefined);
});

test('the record is appended atomically, the last entries kept, and read back skipping what is not an entry', () => {
  const paths = appPaths('/srv/web', '/etc/supervisor/conf.d', 'web', '.conf');
  const command = appendRecordCommand(paths, [entry('A', 'verified')]);
  assert.match(command, new RegExp(`tail -n ${recordLength - 1} /srv/web/\\.convoy/deploys\\.jsonl`));
  assert.match(command, /> \/srv\/web\/\.convoy\/deploys\.jsonl\.convoy-tmp && chmod 0644 .* && mv -f /);
  const text = `${JSON.stringify(entry('A', 'verified'))}\nnot json\n{"v":2}\n${JSON.stringify(entry('B', 'reverted'))}\n`;
  assert.deepEqual(
    parseRecord(text).map((e) => [e.release, e.outcome]),
    [
      ['A', 'verified'],
      ['B', 'reverted'],
    ],
  );
});

test('appending through a real shell keeps the last entries in order, a value with quotes intact', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'convoy-record-'));
  try {
    const paths = appPaths(root, '/etc/supervisor/conf.d', 'web', '.conf');
    for (let i = 0; i < recordLength + 2; i++) {
      const r = spawnSync('sh', [
        '-c',
        appendRecordCommand(paths, [entry(`R${i}`, 'verified', { error: `it's "${i}"` })]),
      ]);
      assert.equal(r.status, 0, String(r.stderr));
    }
    const back = parseRecord(readFileSync(path.join(root, '.convoy', 'deploys.jsonl'), 'utf8'));
    assert.equal(back.length, recordLength);
    assert.equal(back[0]?.release, 'R2');
    assert.equal(back.at(-1)?.error, `it's "${recordLength + 1}"`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
