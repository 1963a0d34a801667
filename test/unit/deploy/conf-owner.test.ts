// Convoy replaces only confs it wrote (docs/deploy.md, "Confs Convoy owns"); a section defined in two confs is found.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  appSections,
  clashCommand,
  confMarker,
  confOwner,
  ownershipProblems,
  parseClashes,
} from '../../../src/deploy/conf-owner.ts';
import { confDigest } from '../../../src/deploy/record.ts';
import type { RecordEntry } from '../../../src/deploy/record.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-conf-owner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a conf is Convoy's by its marker line for this app, or by bytes the deploy record says Convoy wrote", () => {
  const handWritten = '[program:redis]\ncommand=redis-server\n';
  assert.equal(confOwner(null, 'redis', []), 'absent');
  assert.equal(confOwner(`${confMarker('redis')}\n\n[group:redis]\n`, 'redis', []), 'convoy');
  assert.equal(confOwner(handWritten, 'redis', []), 'foreign');
  assert.equal(confOwner(`${confMarker('other')}\n[group:redis]\n`, 'redis', []), 'foreign', "another app's marker");
  assert.equal(confOwner(`# ${confMarker('redis')}\n`, 'redis', []), 'foreign', 'the marker must be the first line');
  const written = { confDigest: confDigest(handWritten) } as RecordEntry;
  assert.equal(confOwner(handWritten, 'redis', [written]), 'convoy', 'a confFiles conf written before the marker');
});

test('a foreign conf stops the run unless adopted; a clash stops it always', () => {
  const where = {
    host: 'web1',
    app: 'redis',
    confPath: '/etc/supervisor/conf.d/redis.conf',
    backupDir: '/srv/r/.convoy/adopted',
  };
  assert.deepEqual(ownershipProblems(where, 'foreign', [], true), []);
  assert.deepEqual(ownershipProblems(where, 'convoy', [], false), []);
  assert.deepEqual(ownershipProblems(where, 'foreign', [], false), [
    'web1: /etc/supervisor/conf.d/redis.conf was not written by Convoy (no marker line, not in the deploy record): ' +
      'rename the app, or pass --adopt to replace it (the original is kept in /srv/r/.convoy/adopted/)',
  ]);
  const clash = { file: '/etc/supervisor/conf.d/cache.conf', section: '[program:main]' };
  assert.match(
    ownershipProblems(where, 'foreign', [clash], true)[0] ?? '',
    /cache\.conf also defines \[program:main\]/,
  );
});

test('the clash script finds the sections of the app in the other confs only, and nothing else', () => {
  const include = path.join(dir, 'conf.d');
  mkdirSync(include);
  const mine = path.join(include, 'app.conf');
  writeFileSync(mine, '[group:app]\n[program:main]\n');
  writeFileSync(path.join(include, 'cache.conf'), '[program:cache]\n [program:main] \n[program:mainly]\n');
  writeFileSync(path.join(include, 'group.conf'), '[group:app]\n');
  writeFileSync(path.join(include, 'notes.txt'), '[program:main]\n');
  const script = clashCommand(mine, include, '.conf', appSections('app', ['main', 'a.b']));
  const result = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  const clashes = parseClashes(result.stdout).sort((a, b) => a.file.localeCompare(b.file));
  assert.deepEqual(clashes, [
    { file: path.join(include, 'cache.conf'), section: '[program:main]' },
    { file: path.join(include, 'group.conf'), section: '[group:app]' },
  ]);
});
