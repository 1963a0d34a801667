// The run journal on disk: nothing before a run begins; private files written whole (tmp + rename) as hosts end;
// a run killed before its end reads as interrupted with its unfinished hosts never reached; the newest runs kept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { journalDir, readJournal, RunJournal } from '../../../src/commands/run-journal.ts';
import { hostsToRedo, wasInterrupted } from '../../../src/orchestration/journal.ts';

let project: string;
let warnings: string[];
beforeEach(() => {
  project = mkdtempSync(path.join(os.tmpdir(), 'convoy-journal-'));
  warnings = [];
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const journal = (keep?: number) =>
  new RunJournal({
    projectDir: project,
    argv: ['-i', 'fleet.ini', 'deploy', 'web', 'api'],
    env: { CONVOY_USER: 'ci' },
    warn: (t) => warnings.push(t),
    ...(keep === undefined ? {} : { keep }),
  });

test('nothing is written before a run begins (bad input leaves no record)', () => {
  const j = journal();
  j.finished('h1', 'ok');
  j.end(2);
  assert.equal(existsSync(journalDir(project)), false);
});

test('a run is written when it begins (hosts pending), as hosts end, and at its end; dir 0700, file 0600', () => {
  const j = journal();
  j.begin({
    command: 'deploy',
    target: 'web',
    hosts: [
      { host: 'h1', app: 'api' },
      { host: 'h2', app: 'api' },
    ],
  });
  assert.equal(statSync(journalDir(project)).mode & 0o777, 0o700);
  const file = path.join(journalDir(project), `${j.id}.json`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(
    readJournal(project)[0]?.hosts.map((h) => h.state),
    ['pending', 'pending'],
  );
  j.step('h1', 'upload', 'api');
  j.finished('h1', 'ok', { app: 'api', detail: 'deployed', release: 'R1' });
  j.end(1);
  const [run] = readJournal(project);
  assert.equal(run?.by, `ci@${os.hostname()}`);
  assert.deepEqual(run?.argv, ['-i', 'fleet.ini', 'deploy', 'web', 'api']);
  assert.deepEqual(run?.hosts[0], {
    host: 'h1',
    app: 'api',
    state: 'ok',
    phase: 'upload',
    detail: 'deployed',
    release: 'R1',
  });
  assert.equal(run?.exitCode, 1);
  assert.equal(wasInterrupted(run!), false);
  assert.deepEqual(readdirSync(journalDir(project)), [`${j.id}.json`], 'a temporary file was left');
});

test('a run killed before its end (no end written) is interrupted, its unfinished hosts never reached', async () => {
  const j = journal();
  j.begin({ command: 'restart', target: 'web', hosts: ['h1', 'h2', 'h3'] });
  j.finished('h1', 'ok');
  j.finished('h2', 'failed', { detail: 'exit code 1' });
  // Outcomes of one turn of the event loop are written together, right after it.
  assert.equal(readJournal(project)[0]?.hosts[0]?.state, 'pending');
  await new Promise((resolve) => setImmediate(resolve));
  // SIGKILL here: nothing more is written.
  const [run] = readJournal(project);
  assert.ok(run);
  assert.equal(wasInterrupted(run), true);
  assert.equal(run.hosts[2]?.state, 'pending');
  assert.deepEqual(hostsToRedo(run).hosts, ['h2', 'h3']);
});

test('the journal is bounded: beginning a run deletes all but the newest runs', () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const j = journal(3);
    ids.push(j.id);
    j.begin({ command: 'exec', target: 'web', hosts: ['h1'] });
    // Older runs carry older modification times, as they would after minutes apart.
    const file = path.join(journalDir(project), `${j.id}.json`);
    utimesSync(file, new Date(Date.now() - (10 - i) * 60_000), new Date(Date.now() - (10 - i) * 60_000));
  }
  assert.deepEqual(
    readdirSync(journalDir(project)).sort(),
    ids
      .slice(2)
      .map((id) => `${id}.json`)
      .sort(),
  );
});

test('a journal that cannot be written is a warning, and the run goes on', () => {
  // A file where the journal's directory would be: no mkdir succeeds, whoever runs the test (root included).
  writeFileSync(path.join(project, '.convoy'), 'not a directory\n');
  const j = journal();
  j.begin({ command: 'exec', target: 'web', hosts: ['h1'] });
  j.finished('h1', 'ok');
  j.end(0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /the run journal .* cannot be written \(E[A-Z]+\): this run cannot be retried/);
});

test('outcomes still waiting for the end of the turn are written when the process exits (a second Ctrl-C)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-journal-exit-'));
  try {
    const journalUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/commands/run-journal.ts')).href;
    const script = [
      `const { RunJournal } = await import(${JSON.stringify(journalUrl)});`,
      `const j = new RunJournal({ projectDir: ${JSON.stringify(dir)}, argv: ['exec'], env: {}, warn: () => {} });`,
      "j.begin({ command: 'exec', target: 'web', hosts: ['h1'] });",
      "j.finished('h1', 'ok');",
      'process.exit(130);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 130, r.stderr);
    assert.equal(readJournal(dir)[0]?.hosts[0]?.state, 'ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
