// Scale: exec, status and a deploy across 200 sandbox hosts, every host answering (no connection dropped at the
// handshake, none refused past sshd's MaxStartups) and Convoy's own peak memory bounded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from '../integration/support/json-lines.ts';
import { convoyBin, integrationSkipReason, repoRoot, startFleet, userProject } from '../integration/support/sandbox.ts';
import type { TestFleet } from '../integration/support/sandbox.ts';

const skip = integrationSkipReason();
const hosts = 200;
const peakLimitMb = 250;
const usagePreload = path.join(repoRoot, 'scripts', 'bench', 'usage-preload.mjs');

describe(`scale: ${hosts} hosts`, { skip }, () => {
  let fleet: TestFleet;
  let project: string;

  /** Runs convoy in the project; returns its exit code, stdout and its own peak RSS in MB. */
  function measured(...args: string[]): { code: number | null; stdout: string; stderr: string; peakMb: number } {
    const usageFile = path.join(project, 'usage.json');
    rmSync(usageFile, { force: true });
    const r = spawnSync(process.execPath, ['--import', usagePreload, convoyBin, '-i', fleet.inventory, ...args], {
      cwd: project,
      encoding: 'utf8',
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HOME: project, SSH_AUTH_SOCK: '', NO_COLOR: '1', CONVOY_BENCH_USAGE: usageFile },
    });
    const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssMb: number };
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, peakMb: usage.maxRssMb };
  }

  before(() => {
    fleet = startFleet({ hosts, firstAddress: '127.0.14.1' });
    project = userProject('scale');
    mkdirSync(path.join(project, 'build', 'scale'), { recursive: true });
    writeFileSync(path.join(project, 'build', 'scale', 'payload.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
    writeFileSync(
      path.join(project, 'tasks', 'scale.ts'),
      `import { defineApp } from 'convoy';
export default defineApp({ name: 'scale', root: '/srv/scale', artifact: 'build/scale',
  programs: { idle: { command: '/bin/sleep 3600', startsecs: 1 } } });
`,
    );
  });
  after(() => {
    fleet?.down();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test(`exec on ${hosts} hosts: every host ok, peak memory under ${peakLimitMb} MB`, (t) => {
    const r = measured('exec', 'all', '--json', '--', 'echo', 'up');
    assert.equal(r.code, 0, r.stderr);
    const { results, summary } = jsonLines<{ host: string; stdout: string }>(r.stdout);
    assert.deepEqual([summary.ok, summary.unreachable], [hosts, 0]);
    assert.equal(new Set(results.filter((x) => x.stdout === 'up\n').map((x) => x.host)).size, hosts);
    t.diagnostic(`convoy peak RSS ${r.peakMb.toFixed(0)} MB`);
    assert.ok(r.peakMb < peakLimitMb, `peak ${r.peakMb.toFixed(0)} MB`);
  });

  test(`deploy a 2 MB artifact to ${hosts} hosts: every host deployed and RUNNING, peak memory under ${peakLimitMb} MB`, (t) => {
    const r = measured('deploy', 'all', 'scale', '--json');
    assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
    const summary = jsonLines<{ result: string }>(r.stdout);
    assert.equal(summary.summary.ok, hosts);
    assert.equal(summary.results.filter((x) => x.result === 'deployed').length, hosts);
    t.diagnostic(`convoy peak RSS ${r.peakMb.toFixed(0)} MB`);
    assert.ok(r.peakMb < peakLimitMb, `peak ${r.peakMb.toFixed(0)} MB`);
  });

  test(`status on ${hosts} hosts: one row per host, all RUNNING, peak memory under ${peakLimitMb} MB`, (t) => {
    const r = measured('status', 'all', 'scale:*', '--json');
    assert.equal(r.code, 0, r.stderr);
    const { programs: rows, summary } = jsonLines<{ host: string; state: string }>(r.stdout);
    assert.equal(summary.ok, hosts);
    assert.equal(rows.filter((x) => x.state === 'RUNNING').length, hosts);
    assert.equal(new Set(rows.map((x) => x.host)).size, hosts);
    t.diagnostic(`convoy peak RSS ${r.peakMb.toFixed(0)} MB`);
    assert.ok(r.peakMb < peakLimitMb, `peak ${r.peakMb.toFixed(0)} MB`);
  });
});
