import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';

const file = 'inventories/x.ini';
const options = { homeDir: '/home/me', defaultUser: 'me' };

// Every problem the inventory has, as printed; fails when the inventory loads.
function problems(text: string, sshConfigText?: string): string[] {
  try {
    parseInventory(text, file, { ...options, sshConfigText, sshConfigFile: '/home/me/.ssh/config' });
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  return assert.fail('expected a ValidationError');
}

function lines(...rows: string[]): string {
  return rows.join('\n') + '\n';
}

test('every problem is collected into one ValidationError with a counted summary', () => {
  const text = lines('[host:a]', 'port = 0', 'sudo = maybe', '[group:g]', 'hosts = a', 'children = nope');
  try {
    parseInventory(text, file, options);
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.exitCode, 2);
    assert.deepEqual(error.problems, [
      "inventories/x.ini:2: [host:a] port: '0' is not a port (expected an integer from 1 to 65535)",
      "inventories/x.ini:3: [host:a] sudo: 'maybe' is not a boolean (expected true, false, yes, no, 1 or 0)",
      "inventories/x.ini:6: [group:g] children: unknown group 'nope'",
    ]);
    assert.equal(
      error.message,
      [
        'inventories/x.ini: 3 problems',
        "  - inventories/x.ini:2: [host:a] port: '0' is not a port (expected an integer from 1 to 65535)",
        "  - inventories/x.ini:3: [host:a] sudo: 'maybe' is not a boolean (expected true, false, yes, no, 1 or 0)",
        "  - inventories/x.ini:6: [group:g] children: unknown group 'nope'",
      ].join('\n'),
    );
  }
});

test('a single problem is counted in the singular', () => {
  try {
    parseInventory(lines('[host:a]', 'port = x'), file, options);
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.message.split('\n')[0], 'inventories/x.ini: 1 problem');
  }
});

test('problems are listed by line whatever stage found them', () => {
  const text = lines('[group:g]', 'children = nope', '[host:a]', 'port = 0');
  assert.deepEqual(problems(text), [
    "inventories/x.ini:2: [group:g] children: unknown group 'nope'",
    "inventories/x.ini:4: [host:a] port: '0' is not a port (expected an integer from 1 to 65535)",
  ]);
});

test('an unknown section kind suggests the right one', () => {
  assert.deepEqual(problems(lines('[hosts:web]', 'address = 1.2.3.4', '[host:a]')), [
    "inventories/x.ini:1: [hosts:web] unknown section kind 'hosts' (did you mean [host:web]?)",
  ]);
  assert.deepEqual(problems(lines('[groups:web]', 'hosts = a')), [
    "inventories/x.ini:1: [groups:web] unknown section kind 'groups' (did you mean [group:web]?)",
    'inventories/x.ini: no hosts (expected a [host:NAME] section or a [group:NAME] with hosts = …)',
  ]);
  assert.deepEqual(problems(lines('[default]', 'user = x', '[host:a]')), [
    "inventories/x.ini:1: [default] unknown section kind 'default' (did you mean [defaults]?)",
  ]);
  assert.deepEqual(problems(lines('[Host:a]', '[host:b]')), [
    "inventories/x.ini:1: [Host:a] unknown section kind 'Host' (did you mean [host:a]?)",
  ]);
  assert.deepEqual(problems(lines('[host]', '[host:b]')), [
    "inventories/x.ini:1: [host] unknown section kind 'host' (did you mean [host:NAME]?)",
  ]);
});

test('a section that is nothing like a kind lists the kinds', () => {
  assert.deepEqual(problems(lines('[web]', 'x = 1', '[host:a]')), [
    "inventories/x.ini:1: [web] unknown section '[web]' (expected [defaults], [host:NAME] or [group:NAME])",
  ]);
  assert.deepEqual(problems(lines('[server:web]', '[host:a]')), [
    "inventories/x.ini:1: [server:web] unknown section kind 'server' (expected [defaults], [host:NAME] or [group:NAME])",
  ]);
});

test('a malformed header or line is reported where it is', () => {
  assert.deepEqual(problems(lines('[host:a', '[host:b]', 'address')), [
    "inventories/x.ini:1: malformed section header '[host:a' (expected [defaults], [host:NAME] or [group:NAME])",
    "inventories/x.ini:3: [host:b] 'address' is not a setting (expected key = value)",
  ]);
  assert.deepEqual(problems(lines('[host:b]', ' = 1')), [
    "inventories/x.ini:2: [host:b] '= 1' is not a setting (expected key = value)",
  ]);
});

test('keys before any section are reported', () => {
  assert.deepEqual(problems(lines('user = deploy', '[host:a]')), [
    'inventories/x.ini:1: user: outside any section (expected [defaults], [host:NAME] or [group:NAME] above it)',
  ]);
  assert.deepEqual(problems(lines('hosts = a, b', '[host:a]')), [
    'inventories/x.ini:1: hosts: outside any section (expected [defaults], [host:NAME] or [group:NAME] above it)',
  ]);
});

test('hosts and children are only allowed in group sections', () => {
  assert.deepEqual(problems(lines('[defaults]', 'hosts = a', '[host:a]', 'children = g', '[group:g]', 'hosts = a')), [
    'inventories/x.ini:2: [defaults] hosts: only allowed in a [group:NAME] section',
    'inventories/x.ini:4: [host:a] children: only allowed in a [group:NAME] section',
  ]);
});

test('a child group must exist, with a suggestion when one is close', () => {
  const text = lines('[group:web]', 'hosts = w1', '[group:prod]', 'children = wbe, zzz');
  assert.deepEqual(problems(text), [
    "inventories/x.ini:4: [group:prod] children: unknown group 'wbe' (did you mean 'web'?)",
    "inventories/x.ini:4: [group:prod] children: unknown group 'zzz'",
  ]);
});

test('cycles in children are named, once, from the group that comes first', () => {
  const text = lines(
    '[group:a]',
    'hosts = h1',
    'children = b',
    '[group:b]',
    'children = c',
    '[group:c]',
    'children = a',
  );
  assert.deepEqual(problems(text), ['inventories/x.ini:3: [group:a] children: cycle a -> b -> c -> a']);
  const entered = lines(
    '[group:top]',
    'children = b',
    '[group:a]',
    'hosts = h1',
    'children = b',
    '[group:b]',
    'children = a',
  );
  assert.deepEqual(problems(entered), ['inventories/x.ini:5: [group:a] children: cycle a -> b -> a']);
  assert.deepEqual(problems(lines('[group:a]', 'hosts = h1', 'children = a')), [
    'inventories/x.ini:3: [group:a] children: cycle a -> a',
  ]);
});

test('a section defined twice is reported at the second one', () => {
  assert.deepEqual(problems(lines('[host:web1]', 'address = 10.0.0.1', '', '[host:web1]', 'address = 10.0.0.2')), [
    'inventories/x.ini:4: [host:web1] defined twice (first at line 1)',
  ]);
  assert.deepEqual(problems(lines('[group:g]', 'hosts = a', '[group:g]', 'hosts = b')), [
    'inventories/x.ini:3: [group:g] defined twice (first at line 1)',
  ]);
  assert.deepEqual(problems(lines('[defaults]', '[host:a]', '[defaults]')), [
    'inventories/x.ini:3: [defaults] defined twice (first at line 1)',
  ]);
});

test('a key set twice in one section is reported', () => {
  assert.deepEqual(problems(lines('[host:a]', 'user = x', 'user = y')), [
    'inventories/x.ini:3: [host:a] user: set twice in this section (first at line 2)',
  ]);
  // The group is empty only because the second `hosts` was refused: one problem, not two.
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hosts =', 'hosts = a')), [
    'inventories/x.ini:4: [group:g] hosts: set twice in this section (first at line 3)',
  ]);
});

test('ports are integers from 1 to 65535', () => {
  const port = (value: string): string[] => problems(lines('[host:a]', `port = ${value}`));
  assert.deepEqual(port('0'), [
    "inventories/x.ini:2: [host:a] port: '0' is not a port (expected an integer from 1 to 65535)",
  ]);
  assert.deepEqual(port('65536'), [
    "inventories/x.ini:2: [host:a] port: '65536' is not a port (expected an integer from 1 to 65535)",
  ]);
  assert.deepEqual(port('22x'), [
    "inventories/x.ini:2: [host:a] port: '22x' is not a port (expected an integer from 1 to 65535)",
  ]);
  assert.deepEqual(port('-1'), [
    "inventories/x.ini:2: [host:a] port: '-1' is not a port (expected an integer from 1 to 65535)",
  ]);
  assert.deepEqual(port('2.5'), [
    "inventories/x.ini:2: [host:a] port: '2.5' is not a port (expected an integer from 1 to 65535)",
  ]);
  assert.deepEqual(port(''), ['inventories/x.ini:2: [host:a] port: empty value (expected an integer from 1 to 65535)']);
});

test('bad ranges in hosts are reported with the item', () => {
  const range = (value: string): string[] => problems(lines('[host:a]', '[group:g]', `hosts = a, ${value}`));
  assert.deepEqual(range('web[10:01]'), [
    "inventories/x.ini:3: [group:g] hosts: bad range 'web[10:01]': start '10' is after end '01'",
  ]);
  assert.deepEqual(range('web[1:b]'), [
    "inventories/x.ini:3: [group:g] hosts: bad range 'web[1:b]': '1' and 'b' must both be numbers or both be letters",
  ]);
  assert.deepEqual(range('web[1:3'), ["inventories/x.ini:3: [group:g] hosts: bad range 'web[1:3': '[' is not closed"]);
  assert.deepEqual(range('web[01:10:0]'), [
    "inventories/x.ini:3: [group:g] hosts: bad range 'web[01:10:0]': expected a stride of 1 or more, got '0'",
  ]);
});

test('a group whose only hosts are a bad range is not also reported as empty', () => {
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hosts = web[3:1]')), [
    "inventories/x.ini:3: [group:g] hosts: bad range 'web[3:1]': start '3' is after end '1'",
  ]);
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'children = no')), [
    "inventories/x.ini:3: [group:g] children: unknown group 'no'",
  ]);
});

test('a key close to a setting is a typo, not a variable', () => {
  const key = (k: string): string[] => problems(lines('[host:a]', `${k} = x`));
  assert.deepEqual(key('adress'), [
    "inventories/x.ini:2: [host:a] adress: unknown setting (did you mean 'address'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(key('identiy'), [
    "inventories/x.ini:2: [host:a] identiy: unknown setting (did you mean 'identity'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(key('supervisor_cnf'), [
    "inventories/x.ini:2: [host:a] supervisor_cnf: unknown setting (did you mean 'supervisor_conf'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(key('knownhosts'), [
    "inventories/x.ini:2: [host:a] knownhosts: unknown setting (did you mean 'known_hosts'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(key('suod'), [
    "inventories/x.ini:2: [host:a] suod: unknown setting (did you mean 'sudo'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(key('Port'), [
    "inventories/x.ini:2: [host:a] Port: unknown setting (did you mean 'port'? settings are lower case)",
  ]);
  assert.deepEqual(key('USER'), [
    "inventories/x.ini:2: [host:a] USER: unknown setting (did you mean 'user'? settings are lower case)",
  ]);
});

test('in a group, hosts and children are checked for typos too', () => {
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hosts = a', 'childrens = x')), [
    "inventories/x.ini:4: [group:g] childrens: unknown setting (did you mean 'children'? a variable must not look like a setting)",
  ]);
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hots = a')), [
    'inventories/x.ini:2: [group:g] empty group (expected hosts = … or children = …)',
    "inventories/x.ini:3: [group:g] hots: unknown setting (did you mean 'hosts'? a variable must not look like a setting)",
  ]);
});

test('variables far from setting names are fine', () => {
  const inventory = parseInventory(
    lines('[host:a]', 'app_port = 8080', 'tier = front', 'env = prod', 'usr = x', 'addresses_v6 = ::1'),
    file,
    options,
  );
  assert.deepEqual(inventory.hosts[0]?.vars, {
    app_port: '8080',
    tier: 'front',
    env: 'prod',
    usr: 'x',
    addresses_v6: '::1',
  });
});

test('sudo takes true/false/yes/no/1/0 in any case, and nothing else', () => {
  const sudo = (value: string): boolean | undefined =>
    parseInventory(lines('[host:a]', `sudo = ${value}`), file, options).hosts[0]?.sudo;
  for (const yes of ['true', 'TRUE', 'yes', 'Yes', '1']) assert.equal(sudo(yes), true, yes);
  for (const no of ['false', 'False', 'no', 'NO', '0']) assert.equal(sudo(no), false, no);
  assert.deepEqual(problems(lines('[host:a]', 'sudo = y')), [
    "inventories/x.ini:2: [host:a] sudo: 'y' is not a boolean (expected true, false, yes, no, 1 or 0)",
  ]);
  assert.deepEqual(problems(lines('[host:a]', 'sudo = on')), [
    "inventories/x.ini:2: [host:a] sudo: 'on' is not a boolean (expected true, false, yes, no, 1 or 0)",
  ]);
});

test('settings may not be empty, and names and addresses may not contain spaces', () => {
  assert.deepEqual(problems(lines('[host:a]', 'user =', 'address = ', 'identity =', 'jump =')), [
    'inventories/x.ini:2: [host:a] user: empty value (expected a login name)',
    'inventories/x.ini:3: [host:a] address: empty value (expected a host name or IP address)',
    'inventories/x.ini:4: [host:a] identity: empty value (expected the path of a private key file)',
    "inventories/x.ini:5: [host:a] jump: empty value (expected an inventory host name, or 'none')",
  ]);
  assert.deepEqual(problems(lines('[host:a]', 'address = 10.0.0.1 10.0.0.2', 'user = a b')), [
    "inventories/x.ini:2: [host:a] address: '10.0.0.1 10.0.0.2' contains spaces (expected a host name or IP address)",
    "inventories/x.ini:3: [host:a] user: 'a b' contains spaces (expected a login name)",
  ]);
});

test('supervisor_conf is an absolute path on the host', () => {
  assert.deepEqual(problems(lines('[host:a]', 'supervisor_conf = etc/supervisord.conf')), [
    "inventories/x.ini:2: [host:a] supervisor_conf: 'etc/supervisord.conf' is not an absolute path (expected the absolute path of supervisord.conf on the host)",
  ]);
});

test('jump must name an inventory host', () => {
  const text = lines('[host:bastion]', '[host:a]', 'jump = bastoin', '[group:g]', 'hosts = a', 'jump = gateway');
  assert.deepEqual(problems(text), [
    "inventories/x.ini:3: [host:a] jump: unknown host 'bastoin' (did you mean 'bastion'?)",
    "inventories/x.ini:6: [group:g] jump: unknown host 'gateway' (expected an inventory host name, or 'none')",
  ]);
});

test('a jump cycle is named once, at the jump line of the first host in the file', () => {
  const text = lines('[host:a]', 'jump = b', '[host:b]', 'jump = c', '[host:c]', 'jump = a');
  assert.deepEqual(problems(text), ['inventories/x.ini:2: [host:a] jump: cycle a -> b -> c -> a']);
  const entered = lines('[host:x]', 'jump = b', '[host:a]', 'jump = b', '[host:b]', 'jump = a');
  assert.deepEqual(problems(entered), ['inventories/x.ini:4: [host:a] jump: cycle a -> b -> a']);
});

test('a host cannot jump through itself, inherited or not', () => {
  assert.deepEqual(problems(lines('[host:a]', 'jump = a')), ['inventories/x.ini:2: [host:a] jump: cycle a -> a']);
  assert.deepEqual(problems(lines('[defaults]', 'jump = bastion', '[host:bastion]', '[host:web1]')), [
    'inventories/x.ini:2: [defaults] jump: cycle bastion -> bastion (a host cannot jump through itself; set jump = none in [host:bastion])',
  ]);
});

test('a group without hosts, or whose children have none, is empty', () => {
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'user = x')), [
    'inventories/x.ini:2: [group:g] empty group (expected hosts = … or children = …)',
  ]);
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hosts =')), [
    'inventories/x.ini:2: [group:g] empty group (expected hosts = … or children = …)',
  ]);
  const nested = lines('[host:a]', '[group:e1]', '[group:e2]', 'children = e1', '[group:top]', 'children = e1, e2');
  assert.deepEqual(problems(nested), [
    'inventories/x.ini:2: [group:e1] empty group (expected hosts = … or children = …)',
    'inventories/x.ini:3: [group:e2] empty group: its children (e1) have no hosts',
    'inventories/x.ini:5: [group:top] empty group: its children (e1, e2) have no hosts',
  ]);
});

test('a group with one non-empty child is not empty', () => {
  const inventory = parseInventory(lines('[group:web]', 'hosts = w1', '[group:prod]', 'children = web'), file, options);
  assert.deepEqual(
    inventory.groups.map((g) => g.name),
    ['web', 'prod'],
  );
});

test('host sections need a name, and names must suit target lists', () => {
  assert.deepEqual(problems(lines('[host:]', 'address = 1.2.3.4', '[host:a]')), [
    'inventories/x.ini:1: [host:] empty host name (expected [host:NAME])',
  ]);
  assert.deepEqual(problems(lines('[ host: ]', '[host:a]')), [
    'inventories/x.ini:1: [host:] empty host name (expected [host:NAME])',
  ]);
  assert.deepEqual(problems(lines('[group:]', 'hosts = a')), [
    'inventories/x.ini:1: [group:] empty group name (expected [group:NAME])',
    'inventories/x.ini: no hosts (expected a [host:NAME] section or a [group:NAME] with hosts = …)',
  ]);
  assert.deepEqual(problems(lines('[host:web 1]', '[host:a]')), [
    "inventories/x.ini:1: [host:web 1] host name 'web 1' is not valid (expected letters, digits, '.', '-' and '_', not starting with '.' or '-')",
  ]);
  assert.deepEqual(problems(lines('[host:a]', '[group:g]', 'hosts = a, b!c')), [
    "inventories/x.ini:3: [group:g] hosts: host name 'b!c' is not valid (expected letters, digits, '.', '-' and '_', not starting with '.' or '-')",
  ]);
  assert.deepEqual(problems(lines('[host:a]', '[group:all]', 'hosts = a')), [
    "inventories/x.ini:2: [group:all] group name 'all' is reserved (the target 'all' means every host)",
  ]);
});

test('an inventory without hosts is refused', () => {
  assert.deepEqual(problems(''), [
    'inventories/x.ini: no hosts (expected a [host:NAME] section or a [group:NAME] with hosts = …)',
  ]);
  assert.deepEqual(problems(lines('; nothing yet', '[defaults]', 'user = deploy')), [
    'inventories/x.ini: no hosts (expected a [host:NAME] section or a [group:NAME] with hosts = …)',
  ]);
});

test('problems in ssh config are reported with its file', () => {
  const ssh = 'Host a\n  Port nope\nHost b\n  ProxyJump x:0\n';
  assert.deepEqual(problems(lines('[host:a]', '[host:b]'), ssh), [
    "/home/me/.ssh/config: Host 'a': Port 'nope' is not a port (expected an integer from 1 to 65535)",
    "/home/me/.ssh/config: Host 'b': ProxyJump 'x:0': 'x:0': '0' is not a port (expected an integer from 1 to 65535)",
  ]);
});

test('transport: ssh2 or openssh, per host or group; a bad value names file, line, key, value and the choices', () => {
  assert.deepEqual(problems(lines('[host:a]', 'transport = libssh')), [
    "inventories/x.ini:2: [host:a] transport: 'libssh' is not a transport (expected ssh2 or openssh)",
  ]);
  const { hosts } = parseInventory(
    lines('[defaults]', 'transport = openssh', '[host:a]', 'address = 10.0.0.1', '[host:b]', 'transport = ssh2'),
    file,
    options,
  );
  assert.deepEqual(
    hosts.map((h) => [h.name, h.transport, h.sshName]),
    [
      ['a', 'openssh', '10.0.0.1'],
      ['b', undefined, undefined],
    ],
  );
});
