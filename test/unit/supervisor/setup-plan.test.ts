import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  addToGroupCommand,
  desiredConf,
  installCommand,
  parseProbe,
  probeCommand,
  serviceManager,
  startCommand,
  writeFileCommand,
} from '../../../src/supervisor/setup-plan.ts';
import { debianSupervisordConf } from '../../../src/supervisor/distro-conf.ts';

const probeOutput = [
  'supervisord=/usr/bin/supervisord',
  'pm=apt-get',
  'initscript=/etc/init.d/supervisor',
  'user=convoy',
  'groups=convoy users',
  '---CONVOY-CONF /etc/supervisor/supervisord.conf---',
  '[unix_http_server]',
  'file=/var/run/supervisor.sock',
  '',
].join('\n');

test('the probe output is read into facts, the conf kept verbatim', () => {
  assert.deepEqual(parseProbe(probeOutput), {
    supervisord: '/usr/bin/supervisord',
    packageManager: 'apt-get',
    systemd: false,
    initScript: '/etc/init.d/supervisor',
    user: 'convoy',
    userGroups: ['convoy', 'users'],
    groupExists: false,
    confPath: '/etc/supervisor/supervisord.conf',
    confText: '[unix_http_server]\nfile=/var/run/supervisor.sock\n',
    unreadableConf: null,
  });
});

test('a bare host: nothing installed, no conf', () => {
  const probe = parseProbe('supervisord=\npm=dnf\nsystemd=1\nuser=root\ngroups=root\ngroup=1\n');
  assert.equal(probe.supervisord, null);
  assert.equal(probe.confPath, null);
  assert.equal(probe.groupExists, true);
  assert.equal(serviceManager(probe), 'systemd');
  assert.equal(installCommand('dnf'), 'dnf install -y supervisor');
});

test('services start the way the host runs them', () => {
  const probe = parseProbe(probeOutput);
  assert.equal(startCommand(probe, '/etc/supervisor/supervisord.conf'), '/etc/init.d/supervisor start');
  assert.equal(
    startCommand({ ...probe, initScript: null }, '/etc/my conf.conf'),
    "/usr/bin/supervisord -c '/etc/my conf.conf'",
  );
  assert.match(startCommand({ ...probe, systemd: true }, '/x'), /systemctl enable --now supervisor\.service/);
});

test('the socket edit is needed once, then never again', () => {
  const once = desiredConf(debianSupervisordConf);
  assert.ok(once?.includes('chmod=0770\nchown=root:supervisor\n'));
  assert.equal(desiredConf(once ?? ''), undefined);
});

test('user names reach the shell quoted', () => {
  assert.equal(
    addToGroupCommand("o'brien"),
    "usermod -a -G supervisor 'o'\\''brien' 2>/dev/null || gpasswd -a 'o'\\''brien' supervisor >/dev/null 2>&1 || adduser 'o'\\''brien' supervisor",
  );
});

test('files are written atomically, with a backup only when asked', () => {
  assert.equal(
    writeFileCommand('/etc/supervisor/supervisord.conf', '.bak'),
    'set -e; mkdir -p "$(dirname /etc/supervisor/supervisord.conf)"; if [ -f /etc/supervisor/supervisord.conf ]; then cp -p /etc/supervisor/supervisord.conf /etc/supervisor/supervisord.conf.bak; fi; ' +
      'cat > /etc/supervisor/supervisord.conf.convoy-tmp; chmod 0644 /etc/supervisor/supervisord.conf.convoy-tmp; mv /etc/supervisor/supervisord.conf.convoy-tmp /etc/supervisor/supervisord.conf',
  );
});

test("pip's conf (echo_supervisord_conf: [include] commented out) gets an include beside it, and the socket group", () => {
  const pip =
    ';[include]\n;files = relative/directory/*.ini\n\n[unix_http_server]\nfile=/tmp/supervisor.sock   ; the path\n;chmod=0700\n';
  const wanted = desiredConf(pip) ?? '';
  assert.match(wanted, /\n\[include\]\nfiles=supervisord\.d\/\*\.conf\n/);
  assert.match(
    wanted,
    /\[unix_http_server\]\nfile=\/tmp\/supervisor\.sock {3}; the path\nchmod=0770\nchown=root:supervisor\n;chmod=0700/,
  );
  assert.equal(desiredConf(wanted), undefined, 'a second setup changes nothing');
});

test('a conf nobody here can read is said, not taken for no conf; sudo reads it where allowed', () => {
  const probe = parseProbe('supervisord=/usr/bin/supervisord\nunreadable=/etc/supervisor/supervisord.conf\n');
  assert.equal(probe.confPath, null);
  assert.equal(probe.unreadableConf, '/etc/supervisor/supervisord.conf');
  assert.match(probeCommand(undefined, true), /sudo -n -- cat "\$f"/);
  assert.doesNotMatch(probeCommand(undefined, false), /sudo/);
});

test('systemd without a supervisor unit (pip): setup writes one and enables it, instead of failing on a missing unit', () => {
  const probe = parseProbe('supervisord=/usr/local/bin/supervisord\nsystemd=1\n');
  const command = startCommand(probe, '/etc/supervisord.conf');
  assert.match(command, /^if systemctl cat supervisor\.service .*\nelif systemctl cat supervisord\.service /);
  assert.match(command, /\nelse cat > \/etc\/systemd\/system\/supervisord\.service <<'CONVOY-UNIT'\n\[Unit\]/);
  assert.match(command, /\nExecStart=\/usr\/local\/bin\/supervisord -n -c \/etc\/supervisord\.conf\n/);
  assert.match(
    command,
    /\nCONVOY-UNIT\nchmod 0644 \/etc\/systemd\/system\/supervisord\.service && systemctl daemon-reload && systemctl enable --now supervisord\.service\nfi$/,
  );
  const syntax = spawnSync('sh', ['-n'], { input: command, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
});

test('the probe script, run by sh, reads back as the conf and facts; an unreadable conf is named', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-probe-'));
  try {
    const conf = path.join(dir, 'supervisord.conf');
    writeFileSync(conf, '[unix_http_server]\nfile=/run/x.sock\n');
    const read = parseProbe(spawnSync('sh', ['-c', probeCommand(conf)], { encoding: 'utf8' }).stdout);
    assert.equal(read.confPath, conf);
    assert.equal(read.confText, '[unix_http_server]\nfile=/run/x.sock\n');
    assert.equal(read.unreadableConf, null);
    const missing = parseProbe(
      spawnSync('sh', ['-c', probeCommand(path.join(dir, 'none.conf'))], { encoding: 'utf8' }).stdout,
    );
    assert.deepEqual([missing.confPath, missing.unreadableConf], [null, null]);
    chmodSync(dir, 0o755);
    chmodSync(conf, 0o000);
    const nobody = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', probeCommand(conf)],
      {
        encoding: 'utf8',
      },
    );
    if (nobody.status === 0) assert.equal(parseProbe(nobody.stdout).unreadableConf, conf);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
