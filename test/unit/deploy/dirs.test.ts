// The app's directories: made for the login, never taken from someone (an existing one is refused, not chowned).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createDirForLoginCommand,
  loginDirCommand,
  notWritableMessage,
  parseDirAnswer,
} from '../../../src/deploy/dirs.ts';

test('as the login: create with mode 0755 whatever the umask, then ask whether it may write there', () => {
  assert.equal(
    loginDirCommand("/srv/it's"),
    "(umask 022; mkdir -p '/srv/it'\\''s') 2>/dev/null; test -d '/srv/it'\\''s' && test -w '/srv/it'\\''s'",
  );
});

test('as root: an existing directory is reported, never chowned; only the one it creates goes to the login', () => {
  assert.equal(
    createDirForLoginCommand('/srv/deep/app', 'deploy'),
    'if [ -e /srv/deep/app ] || [ -L /srv/deep/app ]; then echo ---CONVOY-DIR---exists; exit 0; fi\n' +
      'umask 022 && mkdir -p /srv/deep && mkdir /srv/deep/app && chown deploy: /srv/deep/app && echo ---CONVOY-DIR---created',
  );
});

test('the answer is found by its marker, whatever a login shell printed first', () => {
  assert.equal(parseDirAnswer('Welcome!\n---CONVOY-DIR---exists\n'), 'exists');
  assert.equal(parseDirAnswer('---CONVOY-DIR---created\n'), 'created');
  assert.equal(parseDirAnswer('echo ---CONVOY-DIR---exists'), undefined);
  assert.equal(parseDirAnswer(''), undefined);
});

test('the refusal names the directory, the login and what to do', () => {
  const said = notWritableMessage('/opt', 'deploy');
  assert.match(said, /^\/opt exists and the login deploy cannot write it/);
  assert.match(said, /root: '\/srv\/<app>'/);
});
