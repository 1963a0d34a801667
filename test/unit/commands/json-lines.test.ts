// --json is one format for every command (docs/output.md): JSON lines, each object typed, the summary last.
// Here the commands that need no host; the integration tests check the others the same way.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.ts';

let project: string;
before(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'convoy-json-'));
  await writeFile(
    path.join(project, 'fleet.ini'),
    '[group:web]\nhosts = web[1:2]\n\n[host:web1]\naddress = 127.0.0.1\n',
  );
  await mkdir(path.join(project, 'tasks'));
});
after(async () => {
  await rm(project, { recursive: true, force: true });
});

/** Runs the CLI in process; stdout parsed as JSON lines (a line that is not JSON fails the test). */
async function json(...argv: string[]) {
  const flags = ['-i', path.join(project, 'fleet.ini'), '--tasks', path.join(project, 'tasks'), '--json'];
  const { code, stdout, stderr } = await runCli([...flags, ...argv], { cwd: project });
  const lines = stdout.split('\n').filter((l) => l !== '');
  const records = lines.map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
  return { code, stderr, records, summary: records.at(-1) };
}

test('hosts --json: one result per host, then the summary', async () => {
  const r = await json('hosts', 'web');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.records.map((x) => [x.type, x.host]),
    [
      ['result', 'web1'],
      ['result', 'web2'],
      ['summary', undefined],
    ],
  );
  assert.equal(r.records[0]?.address, '127.0.0.1');
  assert.equal(r.summary?.command, 'hosts');
  assert.equal(r.summary?.total, 2);
  assert.equal(r.summary?.exitCode, 0);
});

test('check --json: the summary is the last line and names what was checked', async () => {
  const r = await json('check');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.summary?.type, 'summary');
  assert.equal(r.summary?.command, 'check');
  assert.equal(r.summary?.hosts, 2);
  assert.deepEqual(r.summary?.apps, []);
});
