import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  ifRootCommand,
  parseConfRead,
  purgeCommand,
  purgeProblem,
  readConfCommand,
  rootFromConf,
  rootWasAbsent,
} from '../../../src/deploy/remove-plan.ts';
import type { RecordEntry } from '../../../src/deploy/record.ts';

const facts = { app: 'hello', includeDir: '/etc/supervisor/conf.d', fromTask: true, record: [] };

test('rootFromConf: every directory= at <root>/current (or under it) gives the root; disagreement gives none', () => {
  assert.equal(rootFromConf('[program:a]\ndirectory=/srv/hello/current\n'), '/srv/hello');
  assert.equal(
    rootFromConf('[program:a]\ndirectory=/srv/hello/current\n[program:b]\ndirectory=/srv/hello/current/bin\n'),
    '/srv/hello',
  );
  assert.equal(
    rootFromConf('[program:a]\ndirectory=/srv/a/current\n[program:b]\ndirectory=/srv/b/current\n'),
    undefined,
  );
  assert.equal(rootFromConf('[program:a]\ndirectory=/opt/tool\n'), undefined);
  assert.equal(rootFromConf('[program:a]\ncommand=x\n'), undefined);
});

test('purgeProblem: refuses /, short paths, unnormalised paths, the include dir, unproven roots', () => {
  assert.equal(purgeProblem('/srv/hello', facts), undefined);
  assert.match(purgeProblem('/', facts) ?? '', /fewer than 2/);
  assert.match(purgeProblem('/srv', facts) ?? '', /fewer than 2/);
  assert.match(purgeProblem('/srv/../etc', facts) ?? '', /not a plain absolute path/);
  assert.match(purgeProblem('srv/hello', facts) ?? '', /not a plain absolute path/);
  assert.match(purgeProblem('/srv/hello/', facts) ?? '', /not a plain absolute path/);
  assert.match(purgeProblem('/etc/supervisor', facts) ?? '', /include directory/);
  const orphan = { ...facts, fromTask: false };
  assert.match(purgeProblem('/srv/hello', orphan) ?? '', /no deploy record of app 'hello'/);
  const record = [{ app: 'hello' } as RecordEntry];
  assert.equal(purgeProblem('/srv/hello', { ...orphan, record }), undefined);
});

test('exact shell lines', () => {
  assert.equal(purgeCommand("/srv/it's"), "rm -rf -- '/srv/it'\\''s'");
  assert.equal(ifRootCommand('/srv/a', 'echo x'), 'if [ -d /srv/a ]; then\necho x\nelse echo ---CONVOY-NO-ROOT---; fi');
  assert.ok(rootWasAbsent('motd\n---CONVOY-NO-ROOT---\n'));
  assert.ok(!rootWasAbsent('---CONVOY-APP---\n'));
});

test('readConfCommand through a real sh: the conf, none, or unreadable', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-remove-'));
  const conf = path.join(dir, 'a.conf');
  const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(parseConfRead(sh(readConfCommand(conf, false))), null);
  writeFileSync(conf, '; marker\n[program:a]\n');
  assert.equal(parseConfRead(`rc noise\n${sh(readConfCommand(conf, false))}`), '; marker\n[program:a]\n');
  assert.equal(parseConfRead('---CONVOY-CONF-UNREADABLE---\n'), 'unreadable');
});
