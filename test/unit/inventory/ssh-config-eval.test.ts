import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateSshConfig } from '../../../src/inventory/ssh-config-eval.ts';
import type { SshConfigIo } from '../../../src/inventory/ssh-config-eval.ts';
import { splitArgs } from '../../../src/inventory/ssh-config-lines.ts';

// Files in memory; glob matches `*` within the last path component only, enough for these tests.
function io(files: Record<string, string>, exec?: (command: string) => boolean): SshConfigIo {
  return {
    homeDir: '/home/me',
    localUser: 'me',
    read: (f) => files[f],
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
    exec,
  };
}
const evaluate = (name: string, files: Record<string, string>, exec?: (command: string) => boolean) =>
  evaluateSshConfig(name, { user: '/home/me/.ssh/config' }, io(files, exec));

test('Include: a relative glob is under ~/.ssh, files in sorted order, the first value wins', () => {
  const found = evaluate('web1', {
    '/home/me/.ssh/config': 'Include conf.d/*.conf\nHost *\n  User last\n',
    '/home/me/.ssh/conf.d/b.conf': 'User second\nPort 2\n',
    '/home/me/.ssh/conf.d/a.conf': 'User first\n',
  });
  assert.equal(found.single.get('user'), 'first');
  assert.equal(found.single.get('port'), '2');
});

test('an Include in an inactive block applies nothing, even its own Host * lines', () => {
  const found = evaluate('web1', {
    '/home/me/.ssh/config': 'Host db\n  Include db.conf\n',
    '/home/me/.ssh/db.conf': 'User db\nHost *\n  Port 5432\n',
  });
  assert.deepEqual([...found.single], []);
});

test('Host is case-sensitive and a negated pattern vetoes; Match host folds case', () => {
  const files = { '/home/me/.ssh/config': 'Host Web1 *.corp !db.corp\n  User a\nMatch host WEB2\n  Port 7\n' };
  assert.equal(evaluate('web1', files).single.get('user'), undefined);
  assert.equal(evaluate('Web1', files).single.get('user'), 'a');
  assert.equal(evaluate('db.corp', files).single.get('user'), undefined);
  assert.equal(evaluate('web2', files).single.get('port'), '7');
});

test('Match exec: tokens expanded, not run after a failed criterion, recorded when not run at all', () => {
  const files = {
    '/home/me/.ssh/config': 'Match host no exec "a %h"\n  Port 1\nMatch exec "b %h %n %r %%"\n  Port 2\n',
  };
  const ran: string[] = [];
  const found = evaluate('x', files, (command) => (ran.push(command), true));
  assert.deepEqual(ran, ['b x x me %']);
  assert.equal(found.single.get('port'), '2');
  const listing = evaluate('x', files);
  assert.deepEqual(listing.skippedExec, ['b x x me %']);
  assert.equal(listing.single.get('port'), undefined);
});

test('ProxyCommand keeps the rest of the line; ProxyJump and ProxyCommand: the first wins', () => {
  const files = { '/home/me/.ssh/config': 'ProxyCommand  nc "%h" %p\nProxyJump j\n' };
  const found = evaluate('x', files);
  assert.equal(found.single.get('proxycommand'), 'nc "%h" %p');
  assert.equal(found.single.has('proxyjump'), false);
});

test('arguments: quotes, escapes, a comment word', () => {
  assert.deepEqual(splitArgs(`"a b" c\\ d 'e"f' # g`), { args: ['a b', 'c d', 'e"f'] });
  assert.deepEqual(splitArgs('"open'), { error: 'unterminated quote' });
});
