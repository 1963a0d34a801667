import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanInventory } from '../../../src/inventory/parse.ts';

const file = 'inventories/x.ini';

test('sections and entries keep their line numbers', () => {
  const scanned = scanInventory('; top comment\n\n[defaults]\nuser = deploy\n\n[host:web1]\naddress=10.0.0.1\n', file);
  assert.deepEqual(scanned.problems, []);
  assert.deepEqual(scanned.sections, [
    { header: 'defaults', line: 3, entries: [{ key: 'user', value: 'deploy', line: 4 }] },
    { header: 'host:web1', line: 6, entries: [{ key: 'address', value: '10.0.0.1', line: 7 }] },
  ]);
});

test('a header may carry a comment, as in docs/inventory.md', () => {
  const scanned = scanInventory(
    '[defaults]                ; every host\nuser = deploy\n[group:web] # the web tier\n',
    file,
  );
  assert.deepEqual(
    scanned.sections.map((s) => [s.header, s.line]),
    [
      ['defaults', 1],
      ['group:web', 3],
    ],
  );
});

test('comments start with ; or #, on their own line or after a value', () => {
  const scanned = scanInventory(
    '[host:a]\n# hash comment\n  ; indented comment\napp_port = 8080           ; a variable\njump = bastion # through it\n',
    file,
  );
  assert.deepEqual(scanned.sections[0]?.entries, [
    { key: 'app_port', value: '8080', line: 4 },
    { key: 'jump', value: 'bastion', line: 5 },
  ]);
});

test('values are decoded by ini: quotes keep ; and #, backslash escapes them', () => {
  const scanned = scanInventory(
    '[host:a]\nmotd = "hello ; world"\nsingle = \'a # b\'\nescaped = a\\;b\\#c\nspaces =   padded   \nempty =\n',
    file,
  );
  assert.deepEqual(
    scanned.sections[0]?.entries.map((e) => [e.key, e.value]),
    [
      ['motd', 'hello ; world'],
      ['single', 'a # b'],
      ['escaped', 'a;b#c'],
      ['spaces', 'padded'],
      ['empty', ''],
    ],
  );
});

test('true, false and null stay strings', () => {
  const scanned = scanInventory('[host:a]\nsudo = true\nflag = null\n', file);
  assert.deepEqual(
    scanned.sections[0]?.entries.map((e) => e.value),
    ['true', 'null'],
  );
});

test('dots in section names are kept, unlike ini.parse', () => {
  const scanned = scanInventory('[host:db.example.com]\naddress = 10.0.0.9\n', file);
  assert.equal(scanned.sections[0]?.header, 'host:db.example.com');
});

test('CRLF line endings count lines like LF', () => {
  const scanned = scanInventory('[host:a]\r\n\r\nuser = x\r\n', file);
  assert.deepEqual(scanned.sections[0]?.entries, [{ key: 'user', value: 'x', line: 3 }]);
});

test('a repeated section stays two sections, so the duplicate can be reported', () => {
  const scanned = scanInventory('[host:a]\nuser = x\n[host:a]\nuser = y\n', file);
  assert.deepEqual(
    scanned.sections.map((s) => [s.header, s.line, s.entries[0]?.value]),
    [
      ['host:a', 1, 'x'],
      ['host:a', 3, 'y'],
    ],
  );
});

test('lines that are not entries are problems with their line', () => {
  const scanned = scanInventory('stray = 1\n[host:a]\njust words\n[broken\n', file);
  assert.deepEqual(scanned.problems, [
    {
      file,
      line: 1,
      key: 'stray',
      message: 'outside any section (expected [defaults], [host:NAME] or [group:NAME] above it)',
    },
    { file, line: 3, section: 'host:a', message: "'just words' is not a setting (expected key = value)" },
    { file, line: 4, message: "malformed section header '[broken' (expected [defaults], [host:NAME] or [group:NAME])" },
  ]);
});
