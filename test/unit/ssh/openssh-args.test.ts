import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectSettings, SshTarget } from '../../../src/ssh/connect.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';
import {
  configWrapper,
  controlArgs,
  controlName,
  copyFromCommand,
  copyToCommand,
  jumpCommand,
  execArgs,
  masterArgs,
  masterFailure,
  refusedByMaster,
  wholeSeconds,
} from '../../../src/ssh/openssh-args.ts';

const target: SshTarget = {
  name: 'web1',
  address: '10.0.0.5',
  port: 2222,
  user: 'deploy',
  identityFiles: ['/home/me/.ssh/id_ed25519'],
  transport: 'openssh',
  sshName: 'web1.internal',
};
const settings = (over: Partial<ConnectSettings> = {}): ConnectSettings => ({
  knownHosts: new KnownHostsStore([]),
  acceptNewHostKeys: false,
  connectTimeoutMs: 10_000,
  serverAliveIntervalMs: 15_000,
  homeDir: '/home/me',
  ...over,
});
const timeouts = { connectTimeoutMs: 2500, serverAliveIntervalMs: 1250, serverAliveCountMax: 3 };
const destination = ['-o', 'HostName=10.0.0.5', '-p', '2222', '-l', 'deploy', '--', 'web1.internal'];

test('the master: strict host keys in the run known_hosts, no prompt, timeouts in whole seconds, the inventory key', () => {
  assert.deepEqual(masterArgs(target, settings(), { ctl: '/tmp/c/abc', config: {}, timeouts }), [
    '-N',
    ...['-o', 'ControlMaster=yes', '-o', 'ControlPath=/tmp/c/abc', '-o', 'ControlPersist=no'],
    ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
    ...['-o', 'UserKnownHostsFile=/home/me/.ssh/known_hosts'],
    ...['-o', 'ConnectTimeout=3', '-o', 'ServerAliveInterval=2', '-o', 'ServerAliveCountMax=3'],
    ...['-o', 'ClearAllForwardings=yes', '-o', 'LogLevel=ERROR'],
    ...['-i', '/home/me/.ssh/id_ed25519'],
    ...destination,
  ]);
});

test('the master under --persist and --accept-new-host-keys, with a known_hosts path with a space and -F', () => {
  const args = masterArgs({ ...target, knownHosts: '/srv/my hosts' }, settings({ acceptNewHostKeys: true }), {
    ctl: '/c',
    config: { file: '/c/config' },
    timeouts: { ...timeouts, serverAliveIntervalMs: 0 },
    persistMs: 90_000,
  });
  assert.deepEqual(args.slice(0, 2), ['-N', '-f']);
  for (const option of [
    'ControlPersist=90',
    'StrictHostKeyChecking=accept-new',
    'UserKnownHostsFile="/srv/my hosts"',
    'ServerAliveInterval=0',
  ])
    assert.ok(args.includes(option), option);
  assert.deepEqual(args.slice(-10, -8), ['-F', '/c/config']);
});

test('a command rides on the master as one word; control requests name the forward', () => {
  assert.deepEqual(execArgs(target, '/c/abc', {}, 'echo "a b"; exit 3'), [
    ...['-S', '/c/abc', '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
    ...['-T', '-o', 'RemoteCommand=none', '-o', 'ClearAllForwardings=yes'],
    ...destination,
    'echo "a b"; exit 3',
  ]);
  const forward = controlArgs(target, '/c/abc', {}, { op: 'forward', local: '/c/abc.1', remote: '/run/s.sock' });
  assert.deepEqual(forward.slice(8, 12), ['-O', 'forward', '-L', '/c/abc.1:/run/s.sock']);
  assert.deepEqual(controlArgs(target, '/c/abc', {}, 'exit').slice(8, 10), ['-O', 'exit']);
});

test('bind_address / --bind-address: the master leaves from it (over ssh config), absent otherwise', () => {
  const bound = masterArgs({ ...target, bindAddress: '127.0.0.2' }, settings(), { ctl: '/c', config: {}, timeouts });
  const at = bound.indexOf('BindAddress=127.0.0.2');
  assert.ok(at > 0 && bound[at - 1] === '-o' && at < bound.indexOf('--'));
  const plain = masterArgs(target, settings(), { ctl: '/c', config: {}, timeouts });
  assert.ok(!plain.some((a) => a.startsWith('BindAddress')));
});

test('names and values: short control names, whole seconds, file copies through sh with the path quoted', () => {
  assert.match(controlName(target), /^[0-9a-f]{12}$/);
  assert.notEqual(controlName(target), controlName({ ...target, user: 'root' }));
  // A master kept by --persist that leaves from another local address is another master.
  assert.notEqual(controlName(target), controlName({ ...target, bindAddress: '127.0.0.2' }));
  assert.notEqual(
    controlName({ ...target, bindAddress: '127.0.0.3' }),
    controlName({ ...target, bindAddress: '127.0.0.2' }),
  );
  assert.deepEqual([wholeSeconds(500), wholeSeconds(1000), wholeSeconds(1001)], ['1', '1', '2']);
  assert.equal(copyToCommand("/srv/a b/it's"), `sh -c 'cat >"$0"' '/srv/a b/it'\\''s'`);
  assert.equal(copyFromCommand('/srv/app/x.tar'), `sh -c 'cat <"$0"' /srv/app/x.tar`);
  assert.equal(
    configWrapper('/home/me/.ssh/config'),
    '# Written by Convoy for its OpenSSH transport: the files Convoy\'s own ssh config reader took.\nInclude "/home/me/.ssh/config"\nInclude "/etc/ssh/ssh_config"\n',
  );
});

test("ssh's failures map to the ssh2 transport's kinds and messages", () => {
  const cases: [string, string, RegExp][] = [
    [
      'ssh: connect to host 10.0.0.5 port 2222: Connection refused',
      'refused',
      /connection refused \(no sshd listening\?\)$/,
    ],
    ['ssh: connect to host 10.0.0.5 port 2222: Connection timed out', 'timeout', /timed out after 2.5s/],
    ['ssh: Could not resolve hostname nope: Name or service not known', 'dns', /cannot resolve/],
    ['deploy@10.0.0.5: Permission denied (publickey).', 'auth', /authentication failed/],
    ['Host key verification failed.', 'host-key-unknown', /--accept-new-host-keys/],
    [
      '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.',
      'host-key-changed',
      /CHANGED/,
    ],
    ['kex_exchange_identification: read: Connection reset by peer', 'reset', /reset during the handshake/],
    ['something new', 'handshake', /SSH handshake failed \(OpenSSH: something new\)/],
  ];
  for (const [stderr, kind, message] of cases) {
    const error = masterFailure(target, stderr, 2500);
    assert.equal(error.kind, kind, stderr);
    assert.match(error.message, /^deploy@web1 \(10\.0\.0\.5:2222\): /);
    assert.match(error.message, message);
    assert.equal(error.unreachable, true);
  }
  assert.equal(masterFailure(target, '', 1000).retryable, false);
  assert.equal(
    refusedByMaster('mux_client_request_session: session request failed: Session open refused by peer'),
    true,
  );
  assert.equal(refusedByMaster('sh: 1: nope: not found'), false);
});

test('behind a jump host: a ProxyCommand of ssh -W on the jump host master, every word quoted for sh', () => {
  const jump: SshTarget = { ...target, name: 'bastion', address: '10.0.0.1', port: 22, sshName: 'bastion' };
  assert.equal(
    jumpCommand(jump, '/tmp/convoy-ctl-x/abc', { file: '/tmp/my dir/config' }),
    "ssh -S /tmp/convoy-ctl-x/abc -o ControlMaster=no -o BatchMode=yes -o LogLevel=ERROR -W %h:%p -F '/tmp/my dir/config' -o HostName=10.0.0.1 -p 22 -l deploy -- bastion",
  );
  const args = masterArgs(target, settings(), { ctl: '/c', config: {}, timeouts, via: 'ssh -W %h:%p x' });
  assert.ok(args.includes('ProxyCommand=ssh -W %h:%p x'));
});
