// A directory artifact is tarred into a temp dir of this run's own; a run killed with SIGKILL cannot remove it, so
// the next run removes the ones whose process is gone (and only those).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { prepareArtifact } from '../../../src/deploy/artifact.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'convoy-artifact-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("a directory artifact's tar dir is removed by cleanup, and a dead run's leftover by the next run", async () => {
  const tmp = path.join(scratch, 'tmp');
  const source = path.join(scratch, 'build');
  mkdirSync(tmp);
  mkdirSync(source);
  writeFileSync(path.join(source, 'VERSION'), '1\n');
  // 4194304 is Linux's largest pid_max: no process has a pid above it.
  const dead = path.join(tmp, 'convoy-artifact-4194305-aaaaaa');
  const live = path.join(tmp, `convoy-artifact-${process.pid}-bbbbbb`);
  const foreign = path.join(tmp, 'convoy-artifact-cccccc');
  for (const d of [dead, live, foreign]) mkdirSync(d);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const artifact = await prepareArtifact(source);
    const { localPath, bytes } = await artifact.wholeFile();
    assert.ok(localPath.startsWith(path.join(tmp, `convoy-artifact-${process.pid}-`)), localPath);
    assert.equal(artifact.bytes, bytes, "the tar's size as its entries make it");
    assert.equal(existsSync(dead), false, "a dead run's tar dir is removed");
    assert.ok(existsSync(live) && existsSync(foreign), 'a live run and a name without a pid are left alone');
    await artifact.cleanup();
    assert.deepEqual(readdirSync(tmp).sort(), [path.basename(live), path.basename(foreign)].sort());
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
});
