import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hostCommand,
  hostInitScript,
  inventoryText,
  knownHostsName,
  knownHostsText,
  planSandbox,
  sshdConfig,
  sudoersText,
} from '../../../src/sandbox/plan.ts';

const options = {
  hosts: 3,
  bare: false,
  stateDir: '/p/.convoy/sandbox',
  port: 22,
  firstAddress: '127.0.1.1',
  inventoryFile: '/p/inventories/sandbox.ini',
};

test('plans one host per address with its own directory', () => {
  const plan = planSandbox(options);
  assert.deepEqual(
    plan.hosts.map((h) => [h.name, h.address, h.port, h.dir]),
    [
      ['sandbox-1', '127.0.1.1', 22, '/p/.convoy/sandbox/hosts/1'],
      ['sandbox-2', '127.0.1.2', 22, '/p/.convoy/sandbox/hosts/2'],
      ['sandbox-3', '127.0.1.3', 22, '/p/.convoy/sandbox/hosts/3'],
    ],
  );
  assert.equal(plan.clientKeyFile, '/p/.convoy/sandbox/id_ed25519');
  assert.equal(plan.knownHostsFile, '/p/.convoy/sandbox/known_hosts');
});

test('each host starts in new mount, UTS and PID namespaces that die with unshare', () => {
  const plan = planSandbox({ ...options, bare: true });
  assert.deepEqual(
    hostCommand(plan, plan.hosts[1]!, {
      unshare: '/usr/bin/unshare',
      sshd: '/usr/sbin/sshd',
      supervisord: '/usr/bin/supervisord',
    }),
    [
      '/usr/bin/unshare',
      '--mount',
      '--uts',
      '--pid',
      '--fork',
      '--mount-proc',
      '--propagation',
      'private',
      '--kill-child',
      '/bin/bash',
      '/p/.convoy/sandbox/host-init.sh',
      '/p/.convoy/sandbox/hosts/2',
      'sandbox-2',
      '1',
      '/usr/sbin/sshd',
      '/usr/bin/supervisord',
      '/etc/supervisor/supervisord.conf',
      '/run/supervisor.sock',
      'root',
    ],
  );
});

test('flavors are assigned to hosts in turn, each with its conf and socket in the init command', () => {
  const plan = planSandbox({ ...options, hosts: 3, flavors: ['debian', 'pip'] });
  assert.deepEqual(
    plan.hosts.map((h) => h.flavor),
    ['debian', 'pip', 'debian'],
  );
  const tools = { unshare: '/usr/bin/unshare', sshd: '/usr/sbin/sshd', supervisord: '/usr/bin/supervisord' };
  const pip = hostCommand(plan, plan.hosts[1]!, tools);
  assert.deepEqual(pip.slice(-3), ['/etc/supervisord.conf', '/tmp/supervisor.sock', 'root']);
  const user = planSandbox({ ...options, hosts: 1, flavors: ['user'] });
  assert.deepEqual(hostCommand(user, user.hosts[0]!, tools).slice(-3), [
    '/home/convoy/supervisor/supervisord.conf',
    '/home/convoy/supervisor/supervisor.sock',
    'convoy',
  ]);
  assert.match(
    inventoryText(user),
    /\[host:sandbox-1\]\naddress = [\d.]+\nuser = convoy\nsupervisor_conf = \/home\/convoy\/supervisor\/supervisord\.conf/,
  );
  assert.equal(planSandbox(options).hosts[0]?.flavor, 'debian');
  const shells = planSandbox({ ...options, hosts: 4, shells: ['fish', 'tcsh'] });
  assert.deepEqual(
    shells.hosts.map((h) => h.shell),
    ['fish', 'tcsh', 'fish', 'tcsh'],
  );
  assert.equal(planSandbox(options).hosts[0]?.shell, 'bash');
  const rhel = planSandbox({ ...options, hosts: 1, flavors: ['rhel'] });
  assert.deepEqual(hostCommand(rhel, rhel.hosts[0]!, tools).slice(-3), [
    '/etc/supervisord.conf',
    '/run/supervisor/supervisor.sock',
    'root',
  ]);
});

test('the init script binds the host dir before hiding anything, then mounts, then execs sshd', () => {
  const script = hostInitScript();
  const order = [
    'tmpfs /run',
    'mount --bind "$OUTSIDE" "$H"',
    '-t overlay',
    'mount --bind "$H/srv" /srv',
    'mount --bind "$H/tmp" /tmp',
    '"$SUPERVISORD" -c',
    'exec "$SSHD" -D -f "$H/sshd_config"',
  ];
  const positions = order.map((s) => script.indexOf(s));
  assert.ok(
    positions.every((p) => p >= 0),
    JSON.stringify(positions),
  );
  assert.deepEqual(
    [...positions].sort((a, b) => a - b),
    positions,
  );
});

test('sshd listens on the host address only, keys only, with SFTP and streamlocal forwarding', () => {
  const config = sshdConfig(planSandbox({ ...options, port: 2222 }).hosts[0]!);
  for (const line of [
    'ListenAddress 127.0.1.1:2222',
    'PasswordAuthentication no',
    'AllowStreamLocalForwarding yes',
    'Subsystem sftp internal-sftp',
    'HostKey /run/convoy-sandbox/ssh_host_ed25519_key',
    'UsePAM no',
  ]) {
    assert.ok(config.split('\n').includes(line), line);
  }
});

test('known_hosts names use [address]:port off port 22, as OpenSSH does', () => {
  assert.equal(knownHostsName('127.0.1.1', 22), '127.0.1.1');
  assert.equal(knownHostsName('127.0.1.1', 2222), '[127.0.1.1]:2222');
  const plan = planSandbox({ ...options, hosts: 2, port: 2200 });
  assert.equal(
    knownHostsText(plan.hosts, ['ssh-ed25519 AAA1', 'ssh-ed25519 AAA2']),
    '[127.0.1.1]:2200 ssh-ed25519 AAA1\n[127.0.1.2]:2200 ssh-ed25519 AAA2\n',
  );
});

test('the inventory lists every host and one sandbox group as a range', () => {
  const text = inventoryText(planSandbox(options));
  assert.match(
    text,
    /^\[defaults\]\nuser = root\nport = 22\nidentity = \/p\/\.convoy\/sandbox\/id_ed25519\nknown_hosts = \/p\/\.convoy\/sandbox\/known_hosts\n/m,
  );
  assert.match(text, /\[host:sandbox-3\]\naddress = 127\.0\.1\.3\n/);
  assert.match(text, /\[group:sandbox\]\nhosts = sandbox-\[1:3\]\n$/);
});

test('--sudo modes: sudoers rules in turn, a log in /run, and the hosts log in as convoy with sudo = true', () => {
  assert.equal(sudoersText('nopasswd', 'convoy'), 'convoy ALL=(ALL:ALL) NOPASSWD: ALL\n');
  assert.equal(sudoersText('password', 'convoy'), 'Defaults:convoy logfile=/run/sudo.log\nconvoy ALL=(ALL:ALL) ALL\n');
  assert.match(
    sudoersText('nopasswd-tty', 'convoy'),
    /^Defaults:convoy requiretty\nconvoy ALL=\(ALL:ALL\) NOPASSWD: ALL\n$/m,
  );
  assert.match(sudoersText('password-tty', 'convoy'), /Defaults:convoy requiretty\nconvoy ALL=\(ALL:ALL\) ALL\n$/);
  const plan = planSandbox({ ...options, hosts: 3, sudo: ['password', 'nopasswd'] });
  assert.deepEqual(
    plan.hosts.map((h) => h.sudo),
    ['password', 'nopasswd', 'password'],
  );
  assert.equal(plan.sudoPasswordFile, '/p/.convoy/sandbox/sudo-password');
  const text = inventoryText(plan);
  assert.match(text, /\[host:sandbox-1\]\naddress = [\d.]+\nuser = convoy\nsudo = true {3}; sudo: password\n/);
  assert.match(text, /\[host:sandbox-2\]\naddress = [\d.]+\n\n/, 'a nopasswd host keeps the root login');
});
