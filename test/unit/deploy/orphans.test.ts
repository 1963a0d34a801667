import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { confMarker } from '../../../src/deploy/conf-owner.ts';
import { listConfsCommand, markedApp, orphaned, parseConfList } from '../../../src/deploy/orphans.ts';

test('markedApp: the app of Convoy marker line, nothing else', () => {
  assert.equal(markedApp(confMarker('hello')), 'hello');
  assert.equal(markedApp('[program:x]'), undefined);
  assert.equal(markedApp(confMarker('hello').replace('Convoy', 'someone')), undefined);
});

test('an include directory read by a real sh: marked confs, foreign ones ignored, orphans by name', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-orphans-'));
  writeFileSync(path.join(dir, 'hello.conf'), `${confMarker('hello')}\n[group:hello]\n`);
  writeFileSync(path.join(dir, 'old app.conf'), `${confMarker('old')}\n[group:old]\n`);
  writeFileSync(path.join(dir, 'admin.conf'), '[program:admin]\n');
  writeFileSync(path.join(dir, 'skip.ini'), `${confMarker('skip')}\n`);
  const script = listConfsCommand(dir, '.conf');
  const listing = parseConfList(execFileSync('sh', ['-c', script], { encoding: 'utf8' }));
  assert.deepEqual(listing.marked.map((m) => [path.basename(m.file), m.app]).sort(), [
    ['hello.conf', 'hello'],
    ['old app.conf', 'old'],
  ]);
  assert.deepEqual(
    orphaned(listing, new Set(['hello'])).map((m) => m.app),
    ['old'],
  );
  if (process.getuid?.() !== 0) {
    chmodSync(path.join(dir, 'hello.conf'), 0);
    const again = parseConfList(execFileSync('sh', ['-c', script], { encoding: 'utf8' }));
    assert.deepEqual(again.unreadable, [path.join(dir, 'hello.conf')]);
  }
});
