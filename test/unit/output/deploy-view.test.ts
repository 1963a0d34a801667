// The deploy and rollback table: one word per outcome, sizes and times as people read them, the summary line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeployOutcome } from '../../../src/deploy/results.ts';
import { blankResult, summarizeDeploy } from '../../../src/deploy/results.ts';
import { captureOutput } from '../support/output.ts';
import { showDeploy, showNarrowed } from '../../../src/output/views/deploy.ts';

const capture = captureOutput;

const outcomes: DeployOutcome[] = ['deployed', 'conf-updated', 'reverted', 'rolled-back', 'skipped', 'no-change'];
const results = outcomes.map((outcome, i) => ({
  ...blankResult(`h${i + 1}`, 'hello', outcome),
  release: 'r2',
  uploadedBytes: [5120, 0, 0, 0, 0, 512][i] ?? 0,
  durationMs: 1500,
}));

test('each outcome has its own word: a reverted deploy is not a rollback, a rollback is not a deploy', () => {
  const { out, lines } = capture();
  showDeploy(out, { command: 'deploy', results, summary: summarizeDeploy(results, 2000), dryRun: false, exitCode: 1 });
  const word = (host: string) => lines.find((l) => l.startsWith(`${host} `))?.split(/\s{2,}/)[3];
  assert.deepEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map(word), [
    'deployed',
    'conf updated',
    'reverted',
    'rolled back',
    'skipped',
    'no change',
  ]);
  assert.match(lines.find((l) => l.startsWith('h1 ')) ?? '', / 5\.1 kB +1\.5s$/);
  assert.equal(lines.at(-1), '6 hosts: 4 ok, 1 failed, 0 unreachable, 1 skipped (2.0s)');
});

test('--json: a result per host and app with its status and word, then the summary', () => {
  const { out, records } = capture(true);
  showDeploy(out, { command: 'deploy', results, summary: summarizeDeploy(results, 2000), dryRun: false, exitCode: 1 });
  assert.deepEqual(
    records.map((r) => [r.type, r.host, r.status, r.result]),
    [
      ['result', 'h1', 'ok', 'deployed'],
      ['result', 'h2', 'ok', 'conf updated'],
      ['result', 'h3', 'failed', 'reverted'],
      ['result', 'h4', 'ok', 'rolled back'],
      ['result', 'h5', 'skipped', 'skipped'],
      ['result', 'h6', 'ok', 'no change'],
      ['summary', undefined, undefined, undefined],
    ],
  );
  assert.equal(records.at(-1)?.exitCode, 1);
});

test('the summary names the hosts that went back to their previous release', () => {
  const { out, lines } = capture();
  const summary = summarizeDeploy(results, 2000);
  showDeploy(out, { command: 'deploy', results, summary, dryRun: false, exitCode: 1 });
  assert.ok(lines.includes('reverted to their previous release: h3'), lines.join('\n'));
  const json = capture(true);
  showDeploy(json.out, { command: 'deploy', results, summary, dryRun: false, exitCode: 1 });
  assert.deepEqual(json.records.at(-1)?.reverted, ['h3']);
});

test("a target narrowed by the app's own hosts is said, on stderr or as a note record", () => {
  const warned: string[] = [];
  const { out } = capture();
  showNarrowed({ ...out, warn: (t) => warned.push(t) }, 'api', 'web', 'prod', ['db1', 'db2']);
  assert.deepEqual(warned, ["note: app 'api' runs on its own hosts (web): left out of 'prod': db1, db2"]);
  const json = capture(true);
  showNarrowed(json.out, 'api', 'web', 'prod', ['db1']);
  assert.deepEqual(json.records[0]?.leftOut, ['db1']);
  showNarrowed(json.out, 'api', 'web', 'web', []);
  assert.equal(json.records.length, 1, 'nothing left out, nothing said');
});
