// Delta uploads of a directory artifact on real hosts (docs/deploy.md, "Delta uploads"): a changed file is all a
// redeploy sends; releases share the store's read-only objects, so an in-place edit by a hook fails and older
// releases stay intact; names with spaces, quotes and newlines survive; rollback, plan and pruning work as before.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from './support/json-lines.ts';
import { convoy, integrationSkipReason, openssh, startFleet, userProject } from './support/sandbox.ts';
import type { CliResult, TestFleet } from './support/sandbox.ts';

const skip = integrationSkipReason();

const task = (hook = '') => `import { defineApp } from 'convoy';

export default defineApp({
  name: 'delta',
  root: '/srv/delta',
  artifact: 'build/delta',
  keepReleases: 2,
  programs: { run: { command: '/bin/sleep 3600', startsecs: 1 } },
  ${hook ? `hooks: { afterUpload: ${JSON.stringify(hook)} },` : ''}
});
`;

interface Result {
  host: string;
  result: string;
  release: string;
  uploadedBytes: number;
  error?: string;
}

/** Names a release's script must quote: spaces, a quote, a newline, a leading dash. */
const oddNames = ['name with spaces.txt', "it's quoted.txt", 'new\nline.txt', '-dash.txt'];

describe('delta uploads of a directory artifact', { skip }, () => {
  let fleet: TestFleet;
  let project: string;
  const tree = () => path.join(project, 'build', 'delta');
  const run = (args: string[]): CliResult =>
    convoy(['-i', 'fleet.ini', ...args], { cwd: project, env: { HOME: project, SSH_AUTH_SOCK: '' } });
  const deploy = (expected = 0) => {
    const r = run(['--json', 'deploy', 'all', 'delta']);
    assert.equal(r.code, expected, r.stdout + r.stderr);
    return jsonLines<Result>(r.stdout).results;
  };
  const on = (i: number, command: string) => {
    const r = openssh(fleet, fleet.addresses[i]!, command);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const objects = (i: number) => Number(on(i, 'ls /srv/delta/.convoy/objects | wc -l'));

  before(() => {
    fleet = startFleet({ hosts: 2, firstAddress: '127.0.44.1' });
    project = userProject('delta');
    writeFileSync(path.join(project, 'tasks', 'delta.ts'), task());
    mkdirSync(path.join(tree(), 'bin'), { recursive: true });
    mkdirSync(path.join(tree(), 'empty dir'));
    for (let n = 0; n < 20; n++) writeFileSync(path.join(tree(), `blob-${n}.bin`), randomBytes(50_000));
    writeFileSync(path.join(tree(), 'bin', 'run.sh'), '#!/bin/sh\necho run\n');
    chmodSync(path.join(tree(), 'bin', 'run.sh'), 0o755);
    for (const name of oddNames) writeFileSync(path.join(tree(), name), `${name}\n`);
    writeFileSync(path.join(tree(), 'small.txt'), 'v1\n');
    writeFileSync(path.join(tree(), 'copy of small.txt'), 'v1\n');
    symlinkSync('bin/run.sh', path.join(tree(), 'run'));
    // The convoy login, not root: a 0444 file is read-only to it (root writes through any mode).
    const ini =
      `[defaults]\nuser = convoy\nsudo = true\nidentity = ${fleet.keyFile}\nknown_hosts = ${fleet.knownHosts}\n\n` +
      fleet.addresses.map((a, i) => `[host:d${i + 1}]\naddress = ${a}\n`).join('\n');
    writeFileSync(path.join(project, 'fleet.ini'), ini);
  });
  after(() => fleet?.down());

  test('first deploy: every object sent once, the release made of read-only hardlinks, odd names intact', () => {
    const results = deploy();
    assert.deepEqual(
      results.map((r) => r.result),
      ['deployed', 'deployed'],
    );
    for (const r of results)
      assert.ok(r.uploadedBytes > 1_000_000 && r.uploadedBytes < 1_100_000, `${r.uploadedBytes}`);
    // Two files of the same content and mode are one object.
    assert.equal(objects(0), 20 + 1 + oddNames.length + 1);
    const said = on(
      0,
      'cd /srv/delta/current && stat -c "%a %h %n" small.txt bin/run.sh && readlink run && ls -d "empty dir"',
    );
    assert.deepEqual(said.split('\n'), ['444 3 small.txt', '555 2 bin/run.sh', 'bin/run.sh', 'empty dir']);
    for (const name of oddNames) {
      const q = `'${name.replace(/'/g, `'\\''`)}'`;
      assert.equal(on(1, `cat /srv/delta/current/${q}`), name);
    }
    assert.equal(run(['plan']).code, 0, 'plan: the host runs what the tasks would deploy');
  });

  test('one file changed: only that object is sent; the old release keeps its content', () => {
    const old = on(0, 'readlink /srv/delta/current');
    writeFileSync(path.join(tree(), 'small.txt'), 'v2 a little longer\n');
    const results = deploy();
    assert.deepEqual(
      results.map((r) => r.result),
      ['deployed', 'deployed'],
    );
    // The new object's tar (about 2 kB) and the scripts with 27 keys: far below the 1 MB tree.
    for (const r of results) assert.ok(r.uploadedBytes > 1000 && r.uploadedBytes < 20_000, `${r.uploadedBytes}`);
    assert.equal(objects(0), 20 + 1 + oddNames.length + 2);
    assert.equal(on(0, 'cat /srv/delta/current/small.txt'), 'v2 a little longer');
    assert.equal(on(0, `cat /srv/delta/${old}/small.txt`), 'v1');
    assert.equal(on(0, 'stat -c %h /srv/delta/current/blob-0.bin'), '3');
    assert.equal(run(['plan']).code, 0);
    const again = deploy();
    assert.deepEqual(
      again.map((r) => [r.result, r.uploadedBytes]),
      [
        ['unchanged', 0],
        ['unchanged', 0],
      ],
    );
  });

  test('a hook that edits a shared file in place fails; the older releases are untouched', () => {
    const current = on(0, 'readlink /srv/delta/current');
    writeFileSync(path.join(project, 'tasks', 'delta.ts'), task('echo tampered >> small.txt'));
    writeFileSync(path.join(tree(), 'blob-0.bin'), randomBytes(50_000));
    const results = deploy(1);
    assert.match(results[0]?.error ?? '', /afterUpload hook failed.*Permission denied/s);
    assert.equal(on(0, 'readlink /srv/delta/current'), current);
    assert.equal(on(0, 'cat /srv/delta/current/small.txt'), 'v2 a little longer');
    // The documented way: a new file renamed over the link.
    const rename = '{ cat small.txt; echo edited; } > small.tmp && mv -f small.tmp small.txt';
    writeFileSync(path.join(project, 'tasks', 'delta.ts'), task(rename));
    deploy();
    assert.equal(on(0, 'cat /srv/delta/current/small.txt'), 'v2 a little longer\nedited');
    assert.equal(on(0, `cat /srv/delta/${current}/small.txt`), 'v2 a little longer');
  });

  test('rollback goes back to the previous release', () => {
    const r = run(['--json', 'rollback', 'all', 'delta']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      jsonLines<Result>(r.stdout).results.map((x) => [x.result, x.uploadedBytes]),
      [
        ['rolled back', 0],
        ['rolled back', 0],
      ],
    );
    assert.equal(on(1, 'cat /srv/delta/current/small.txt'), 'v2 a little longer');
  });

  test('pruning removes the objects only pruned releases linked to', () => {
    writeFileSync(path.join(project, 'tasks', 'delta.ts'), task());
    const v2 = `${createHash('sha256').update('v2 a little longer\n').digest('hex')}-444`;
    assert.ok(on(0, 'ls /srv/delta/.convoy/objects').split('\n').includes(v2));
    for (const v of ['v3', 'v4', 'v5']) {
      writeFileSync(path.join(tree(), 'small.txt'), `${v}\n`);
      deploy();
    }
    for (const i of [0, 1]) {
      // The failed hook's upload and the releases beyond keepReleases are gone, and what only they linked to.
      assert.equal(on(i, 'find /srv/delta/.convoy/objects -type f -links 1 | wc -l'), '0');
      assert.equal(on(i, 'ls -d /srv/delta/.convoy/objects/.incoming-* 2>/dev/null | wc -l'), '0');
      assert.ok(on(i, 'ls /srv/delta/releases').split('\n').length <= 3);
      const keys = on(i, 'ls /srv/delta/.convoy/objects').split('\n');
      assert.ok(!keys.includes(v2), 'an object only a pruned release linked to is still stored');
      const linked = on(i, "cd /srv/delta/releases && find . -type f -links +1 -printf '%i\\n' | sort -u");
      assert.equal(keys.length, linked.split('\n').length);
    }
  });
});
