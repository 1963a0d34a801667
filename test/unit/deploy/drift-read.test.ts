// plan's one read, run by a local `sh` against a directory laid out as a host: supervisord.conf and its include
// glob (as parseLayout reads it), each conf's first line, an app's conf bytes exactly, each app's root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { PlannedApp } from '../../../src/deploy/drift-read.ts';
import { includeDirScript, layoutOf, parseHostRead, planReadScript } from '../../../src/deploy/drift-read.ts';
import { confMarker } from '../../../src/deploy/conf-owner.ts';
import { stepScript } from '../../../src/shell/script.ts';

const host = mkdtempSync(path.join(os.tmpdir(), 'convoy-drift-read-'));
after(() => rmSync(host, { recursive: true, force: true }));

function runScript(script: string): string {
  // A login shell's rc files may print first: the read starts at its marker.
  const r = spawnSync('sh', ['-s'], { input: `echo welcome\n${stepScript(script)}`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function layOut(includeLine: string): { confPath: string; apps: PlannedApp[] } {
  const etc = path.join(host, 'etc');
  rmSync(etc, { recursive: true, force: true });
  mkdirSync(path.join(etc, 'conf.d'), { recursive: true });
  const confPath = path.join(etc, 'supervisord.conf');
  writeFileSync(confPath, `[unix_http_server]\nfile=/run/s.sock\n\n[include]\n${includeLine}\n`);
  // No newline at the end: the bytes must come back as they are.
  writeFileSync(path.join(etc, 'conf.d', 'hello.ini'), `${confMarker('hello')}\n[program:hello]\ncommand=x`);
  writeFileSync(path.join(etc, 'conf.d', 'gone.ini'), `${confMarker('gone')}\n`);
  writeFileSync(path.join(etc, 'conf.d', 'admin.ini'), '[program:admin]\n');
  const root = path.join(host, 'srv', 'hello');
  const id = '20261202T100000Z-aaaaaaaaaaaaaaaa';
  mkdirSync(path.join(root, 'releases', id), { recursive: true });
  mkdirSync(path.join(root, '.convoy-lock'), { recursive: true });
  writeFileSync(path.join(root, '.convoy-lock', 'owner'), 'alice\n');
  rmSync(path.join(root, 'current'), { force: true });
  symlinkSync(path.join(root, 'releases', id), path.join(root, 'current'));
  const apps = [
    { name: 'hello', root, hasSecrets: false },
    { name: 'none', root: path.join(host, 'srv', 'none'), hasSecrets: true },
  ];
  return { confPath, apps };
}

test('one script reads supervisord.conf, the include directory and every app root', () => {
  const { confPath, apps } = layOut('files = conf.d/*.ini %(here)s/other/*.conf ; comment');
  const read = parseHostRead(runScript(planReadScript(apps, confPath)));
  const layout = layoutOf('web1', read);
  assert.deepEqual(read.include, { dir: layout.includeDir, extension: '.ini' });
  assert.equal(layout.includeDir, path.join(host, 'etc', 'conf.d'));
  assert.equal(read.confs.get('hello'), `${confMarker('hello')}\n[program:hello]\ncommand=x`);
  assert.equal(read.confs.has('none'), false);
  assert.deepEqual(read.listing.marked.map((c) => c.app).sort(), ['gone', 'hello']);
  assert.equal(read.apps.get('hello')?.current, '20261202T100000Z-aaaaaaaaaaaaaaaa');
  assert.equal(read.apps.get('hello')?.lockOwner, 'alice');
  assert.equal(read.apps.get('none')?.current, undefined);
});

test('an include glob the shell reads otherwise than parseLayout is read again at the layout', () => {
  // `./conf.d`: parseLayout normalises the path, the shell keeps `./`; the directories then differ.
  const { confPath, apps } = layOut('files=./conf.d/*.ini');
  const read = parseHostRead(runScript(planReadScript(apps, confPath)));
  const layout = layoutOf('web1', read);
  assert.notEqual(read.include?.dir, layout.includeDir);
  const again = parseHostRead(runScript(includeDirScript(layout, apps)));
  assert.equal(again.confs.get('hello'), `${confMarker('hello')}\n[program:hello]\ncommand=x`);
});

test('no supervisord.conf: the host fails saying to run setup', () => {
  const read = parseHostRead(runScript(planReadScript([], path.join(host, 'missing.conf'))));
  assert.throws(() => layoutOf('web1', read), /no readable supervisord\.conf: run `convoy setup web1`/);
});
