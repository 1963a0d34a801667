import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  authorizedKeysLine,
  authorizeScript,
  endedRuns,
  expiryTime,
  machineHash,
  markerPrefix,
  parseRunId,
  receiveCommand,
  receiveProblem,
  relayScript,
  removeRunsScript,
  runId,
  senderKeyScript,
} from '../../../src/deploy/fanout-keys.ts';

const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO+fiWI5XWbUlpt7TnvfC5jXh3PMsmAEqe4c6kEIltuS';
const run = { random: 'a1b2c3d4e5f6', machine: 'laptop', pid: 4242, untilEpochS: 1_796_260_000 };
const id = runId(run);

test('the run id says which machine and process run it and until when', () => {
  assert.equal(id, `a1b2c3d4e5f6.${machineHash('laptop')}.4242.1796260000`);
  assert.deepEqual(parseRunId(id), { machineHash: machineHash('laptop'), pid: 4242, untilEpochS: 1_796_260_000 });
  assert.equal(parseRunId('a1b2.x.1.2'), undefined);
  assert.equal(parseRunId(`${id}; rm -rf /`), undefined);
});

test('the authorized_keys line: restrict, expiry, from= the sender, command= the receive command, the marker', () => {
  const line = authorizedKeysLine(pub, '127.0.42.3', receiveCommand('/srv/fan/.convoy/cache/abc.bin.partial'), run);
  assert.equal(
    line,
    `restrict,expiry-time="${expiryTime(run.untilEpochS)}",from="127.0.42.3",command="cat > /srv/fan/.convoy/cache/abc.bin.partial" ${pub} convoy-fanout-${id}`,
  );
  assert.match(expiryTime(0), /^19700101000000Z$/);
});

test('a double quote in the command is escaped as sshd reads it; line breaks and non-IP senders are refused', () => {
  const line = authorizedKeysLine(pub, '::1', 'cat > "x"', run);
  assert.match(line, /command="cat > \\"x\\"" ssh-ed25519 /);
  assert.throws(() => authorizedKeysLine(pub, 'web1.example.com', 'cat > /x', run), /not an IP address/);
  assert.throws(() => authorizedKeysLine(pub, '127.0.0.1",command="sh', 'cat > /x', run), /not an IP address/);
  assert.throws(() => authorizedKeysLine(pub, '127.0.0.1', 'cat > /x\nssh-ed25519 AAAA evil', run), /line break/);
  assert.throws(() => authorizedKeysLine(`${pub} x`, '127.0.0.1', 'cat > /x', run), /not an ssh-ed25519/);
});

test('the receive command takes only plain paths, the same word in every login shell', () => {
  assert.equal(receiveCommand('/srv/a-b/c_d.1.tar.gz.partial'), 'cat > /srv/a-b/c_d.1.tar.gz.partial');
  for (const bad of ['/srv/my app/x', "/srv/x'y", '/srv/$(id)', 'srv/x', '/srv/../etc/passwd', '/srv/%self'])
    assert.ok(receiveProblem(bad), bad);
  assert.throws(() => receiveCommand('/srv/my app/x'), /not plain/);
});

test('authorize: a copy keeping mode and owner (cp -p), or a new 0600 file, the line quoted, renamed over', () => {
  const script = authorizeScript('restrict,command="cat > /x" ssh-ed25519 AAAA it\'s', id);
  assert.match(script, /umask 077/);
  assert.match(script, /\[ -d "\$HOME\/.ssh" \] \|\| mkdir -m 0700 "\$HOME\/.ssh"/);
  assert.match(script, /cp -p "\$HOME\/.ssh\/authorized_keys" "\$HOME\/.ssh\/.authorized_keys\.[^"]+\.tmp"/);
  assert.match(script, /chmod 0600/);
  assert.match(script, /printf '%s\\n' 'restrict,command="cat > \/x" ssh-ed25519 AAAA it'\\''s' >> /);
  assert.match(script, /mv -f "\$HOME\/.ssh\/\.authorized_keys\.[^"]+\.tmp" "\$HOME\/.ssh\/authorized_keys"$/);
  assert.match(script, /is a symbolic link: not edited/);
});

test('remove: only the lines and key directories of the runs named', () => {
  const script = removeRunsScript([id, 'ffff']);
  assert.match(script, new RegExp(`grep -vF -e ${markerPrefix}${id.replace(/\./g, '\\.')} -e ${markerPrefix}ffff `));
  assert.match(script, /cp -p /);
  assert.match(
    script,
    /rm -rf "\$HOME"\/\.convoy-fanout-a1b2c3d4e5f6\.[0-9a-f]+\.4242\.1796260000 "\$HOME"\/\.convoy-fanout-ffff$/,
  );
  assert.equal(removeRunsScript([]), 'true');
});

test("the sweep: runs past their deadline, and this machine's runs whose process is gone; never our own", () => {
  const now = 1_796_250_000;
  const mine = (pid: number, until = now + 100) => runId({ ...run, pid, untilEpochS: until });
  const other = runId({ ...run, machine: 'ci-runner', pid: 1, untilEpochS: now + 100 });
  const expired = runId({ ...run, machine: 'ci-runner', pid: 1, untilEpochS: now - 1 });
  const said = [mine(100), mine(200), other, expired, 'convoy-fanout-garbage', 'hello'].map((x) =>
    x.startsWith('convoy') || x === 'hello' ? x : `${markerPrefix}${x}`,
  );
  said.push(`${markerPrefix}${mine(200)}`); // the same run as a line and as a directory
  const live = { nowEpochS: now, machine: 'laptop', alive: (pid: number) => pid === 200 };
  assert.deepEqual(endedRuns(said.join('\n'), 'own', live).sort(), [expired, mine(100)].sort());
  assert.deepEqual(endedRuns(`${markerPrefix}${mine(100)}`, mine(100), live), [], 'never the running one');
});

test('the sender key goes into a new 0700 directory (an existing one refuses), 0600, from stdin', () => {
  assert.equal(
    senderKeyScript(id),
    `umask 077 && mkdir -m 0700 "$HOME"/.convoy-fanout-${id} && cat > "$HOME"/.convoy-fanout-${id}/id_ed25519`,
  );
});

test('the relay: pinned key, strict checking, no agent, no config, bound to the sender, within a timeout', () => {
  const script = relayScript(id, {
    address: '127.0.42.5',
    port: 22,
    user: 'root',
    knownHostsLine: `convoy-relay-1 ${pub}`,
    alias: 'convoy-relay-1',
    bind: '127.0.42.1',
    source: '/srv/fan/.convoy/cache/abc.bin',
    connectTimeoutS: 10,
    timeoutS: 81,
  });
  const dir = `"$HOME"/.convoy-fanout-${id}`;
  assert.equal(
    script,
    [
      'set -e',
      'umask 077',
      `printf '%s\\n' 'convoy-relay-1 ${pub}' > ${dir}/known_hosts.convoy-relay-1`,
      `timeout -k 5 81 ssh -F /dev/null -T -i ${dir}/id_ed25519 -o UserKnownHostsFile=${dir}/known_hosts.convoy-relay-1 ` +
        '-o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none ' +
        '-o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=convoy-relay-1 -o ConnectTimeout=10 ' +
        '-o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o ClearAllForwardings=yes -o LogLevel=ERROR ' +
        '-b 127.0.42.1 -p 22 -l root 127.0.42.5 < /srv/fan/.convoy/cache/abc.bin',
    ].join('\n'),
  );
});
