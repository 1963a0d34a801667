import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getIniValue, setIniValues } from '../../../src/supervisor/conf-edit.ts';
import { debianSupervisordConf, socketGroupEdit } from '../../../src/supervisor/distro-conf.ts';

test("sets the socket mode and group in Debian's conf, changing only those lines", () => {
  const edited = setIniValues(debianSupervisordConf, [socketGroupEdit('supervisor')]);
  const before = debianSupervisordConf.split('\n');
  const after = edited.split('\n');
  assert.equal(after.length, before.length + 1);
  assert.deepEqual(after.slice(0, 5), [
    '; supervisor config file',
    '',
    '[unix_http_server]',
    'file=/var/run/supervisor.sock   ; (the path to the socket file)',
    'chmod=0770',
  ]);
  assert.equal(after[5], 'chown=root:supervisor');
  assert.deepEqual(after.slice(6), before.slice(5));
});

test('a second edit with the same values changes nothing', () => {
  const once = setIniValues(debianSupervisordConf, [socketGroupEdit('supervisor')]);
  assert.equal(setIniValues(once, [socketGroupEdit('supervisor')]), once);
});

test('a missing section is appended', () => {
  assert.equal(setIniValues('[a]\nx=1\n', [{ section: 'b', values: { y: '2' } }]), '[a]\nx=1\n\n[b]\ny=2\n');
});

test('reads values without inline comments', () => {
  assert.equal(getIniValue(debianSupervisordConf, 'unix_http_server', 'file'), '/var/run/supervisor.sock');
  assert.equal(getIniValue(debianSupervisordConf, 'include', 'files'), '/etc/supervisor/conf.d/*.conf');
  assert.equal(getIniValue(debianSupervisordConf, 'include', 'nope'), undefined);
});
