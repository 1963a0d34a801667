import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxAccounts } from '../../../src/sandbox/accounts.ts';

const machine = {
  passwd:
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nalice:x:2000:2000::/home/alice:/bin/bash\n',
  group: 'root:x:0:\nsudo:x:27:\nalice:x:2000:\n',
  shadow: 'root:!:20228:0:99999:7:::\nalice:*:20000::::::\n',
  gshadow: 'root:*::\nalice:!::\n',
};

test('adds the convoy login with a free uid, its own group, a key-only password, and the supervisor group', () => {
  const { files, loginUid, loginGid } = sandboxAccounts(machine, true);
  assert.equal(loginUid, 2001);
  assert.equal(loginGid, 2001);
  assert.match(files.passwd, /^convoy:x:2001:2001:Convoy sandbox login:\/home\/convoy:\/bin\/bash$/m);
  assert.match(files.group, /^convoy:x:2001:$/m);
  assert.match(files.group, /^supervisor:x:900:convoy$/m);
  assert.match(files.shadow, /^convoy:\*:19000:/m);
  assert.match(files.gshadow, /^supervisor:!::convoy$/m);
});

test("unlocks root's `!` password field (sshd without PAM refuses key logins to locked accounts)", () => {
  assert.match(sandboxAccounts(machine, true).files.shadow, /^root:\*:20228:0:99999:7:::$/m);
});

test('bare hosts get the login but no supervisor group', () => {
  const { files } = sandboxAccounts(machine, false);
  assert.match(files.passwd, /^convoy:/m);
  assert.doesNotMatch(files.group, /supervisor/);
});

test('an existing supervisor group gains the login as member, keeping its members', () => {
  const { files } = sandboxAccounts(
    { ...machine, group: machine.group + 'supervisor:x:120:bob\n', gshadow: machine.gshadow + 'supervisor:!::bob\n' },
    true,
  );
  assert.match(files.group, /^supervisor:x:120:bob,convoy$/m);
  assert.match(files.gshadow, /^supervisor:!::bob,convoy$/m);
  assert.equal(files.group.match(/^supervisor:/gm)?.length, 1);
});
