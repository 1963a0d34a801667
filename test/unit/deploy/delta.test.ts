import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { TreeEntry } from '../../../src/deploy/delta.ts';
import {
  buildTreeScript,
  missingObjectsScript,
  objectBytes,
  objectKey,
  objectMode,
  parseMissing,
  pruneObjectsScript,
  storeObjectsScript,
  treeObjects,
} from '../../../src/deploy/delta.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const file = (p: string, content: string, mode = 0o644): TreeEntry => ({
  path: p,
  kind: 'file',
  mode,
  sha256: sha(content),
  size: Buffer.byteLength(content),
});

describe('store keys', () => {
  test('the mode is part of the key, without write bits', () => {
    assert.equal(objectMode(0o644), 0o444);
    assert.equal(objectMode(0o775), 0o555);
    assert.equal(objectMode(0o4700), 0o500);
    assert.equal(objectKey(file('a', 'x')), `${sha('x')}-444`);
    assert.equal(objectKey(file('a', 'x', 0o755)), `${sha('x')}-555`);
  });

  test('one object per content and mode, sorted, with sizes', () => {
    const objects = treeObjects([
      file('a', 'same'),
      file('b', 'same'),
      file('c', 'same', 0o755),
      { path: 'd', kind: 'dir', mode: 0o755 },
    ]);
    assert.deepEqual([...objects.keys()], [`${sha('same')}-444`, `${sha('same')}-555`].sort());
    assert.equal(objectBytes(objects, [...objects.keys()]), 8);
  });
});

describe('which objects the host lacks', () => {
  test('the script names the store and asks about each key as a bare word', () => {
    const key = `${sha('x')}-444`;
    assert.equal(
      missingObjectsScript("/srv/it's/.convoy/objects", [key]),
      [
        `mkdir -p '/srv/it'\\''s/.convoy/objects' && cd '/srv/it'\\''s/.convoy/objects' || exit 1`,
        'echo "df=$(df -Pk . | tail -n 1)"',
        'if command -v python3 >/dev/null 2>&1; then echo python=1; fi',
        `for k in ${key}; do [ -f "$k" ] || echo "missing=$k"; done`,
      ].join('\n'),
    );
  });

  test('anything but a key is refused before it reaches a shell', () => {
    assert.throws(() => missingObjectsScript('/s', ['$(reboot)']), /not a store key/);
  });

  test('the answer: only keys asked about, behind whatever a login shell printed first', () => {
    const asked = new Map([[`${sha('x')}-444`, 1]]);
    const said = `motd=hello\nmissing=${sha('x')}-444\nmissing=${sha('y')}-444\ndf=/dev/sda1 100 50 2048 3% /srv\npython=1\n`;
    assert.deepEqual(parseMissing(said, asked), { missing: [`${sha('x')}-444`], free: 2048 * 1024, python: true });
    assert.deepEqual(parseMissing('', asked), { missing: [], python: false });
  });
});

/** Runs `script` with sh in a fresh directory; returns the directory. */
function runSh(script: string, dir: string): { code: number | null; stderr: string } {
  const r = spawnSync('sh', ['-c', `set -e\n${script}`], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describe('store and build scripts, run by sh here', () => {
  const names = ['plain.txt', 'with space.txt', "it's.txt", 'new\nline.txt', '-dash.txt'];

  const setUp = () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'convoy-delta-'));
    const store = path.join(root, 'store dir');
    const src = path.join(root, 'src');
    execFileSync('mkdir', ['-p', store, src]);
    const entries: TreeEntry[] = [
      { path: 'sub', kind: 'dir', mode: 0o755 },
      { path: 'closed', kind: 'dir', mode: 0o700 },
      ...names.map((n) => file(n, `content of ${n}`)),
      file('sub/run', '#!/bin/sh\n', 0o755),
      file('closed/x', 'content of plain.txt'),
      { path: 'link', kind: 'link', mode: 0o777, target: 'sub/run' },
    ];
    return { root, store, src, entries };
  };

  /** A tar of the objects named by key, as delta-stage sends it. */
  const packObjects = (src: string, entries: readonly TreeEntry[], tarPath: string, corrupt?: string) => {
    const byKey = new Map<string, string>();
    for (const e of entries) {
      if (e.kind !== 'file') continue;
      const content =
        e.path === 'sub/run' ? '#!/bin/sh\n' : `content of ${e.path === 'closed/x' ? 'plain.txt' : e.path}`;
      byKey.set(objectKey(e), content);
    }
    for (const [key, content] of byKey) writeFileSync(path.join(src, key), key === corrupt ? 'tampered' : content);
    execFileSync('tar', ['-cf', tarPath, '-C', src, ...byKey.keys()]);
    return [...byKey.keys()];
  };

  for (const python of [false, true])
    test(`verified objects enter the store read-only; the release links them; odd names survive (python: ${python})`, () => {
      const { root, store, src, entries } = setUp();
      try {
        const keys = packObjects(src, entries, path.join(store, '.incoming-r1.tar'));
        const release = path.join(root, 'release');
        execFileSync('mkdir', [release]);
        const r = runSh(
          `${storeObjectsScript(store, 'r1', keys)}\n${buildTreeScript(store, release, entries, python)}`,
          root,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(readdirSync(store).sort(), [...keys].sort());
        for (const n of names) assert.equal(readFileSync(path.join(release, n), 'utf8'), `content of ${n}`);
        assert.equal(statSync(path.join(release, 'plain.txt')).mode & 0o777, 0o444);
        assert.equal(statSync(path.join(release, 'plain.txt')).nlink, 3);
        assert.equal(statSync(path.join(release, 'sub/run')).mode & 0o777, 0o555);
        assert.equal(statSync(path.join(release, 'closed')).mode & 0o777, 0o700);
        assert.equal(readFileSync(path.join(release, 'link'), 'utf8'), '#!/bin/sh\n');
        // An in-place write fails (not as root, which ignores modes: see docs/deploy.md).
        if (process.getuid?.() !== 0) assert.throws(() => writeFileSync(path.join(release, 'plain.txt'), 'x'));
        // Pruning: once the release is gone, every object has one link and goes.
        execFileSync('chmod', ['-R', 'u+w', release]);
        rmSync(release, { recursive: true });
        assert.equal(runSh(pruneObjectsScript(store), root).code, 0);
        assert.deepEqual(readdirSync(store), []);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

  test('an object whose bytes do not match its key stops the step; nothing enters the store', () => {
    const { root, store, src, entries } = setUp();
    try {
      const bad = objectKey(entries.find((e) => e.path === 'with space.txt')!);
      const keys = packObjects(src, entries, path.join(store, '.incoming-r1.tar'), bad);
      const r = runSh(storeObjectsScript(store, 'r1', keys), root);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /did NOT match/);
      assert.deepEqual(
        readdirSync(store).filter((n) => !n.startsWith('.incoming')),
        [],
      );
      // The prune removes the leftovers of a failed upload.
      assert.equal(runSh(pruneObjectsScript(store), root).code, 0);
      assert.deepEqual(readdirSync(store), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('nothing missing: no store step', () => {
    assert.equal(storeObjectsScript('/s', 'r1', []), '');
  });
});
