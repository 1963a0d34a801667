import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  findConfCommand,
  findConfFunction,
  parseFindConfOutput,
  parseLayout,
  sameInclude,
  usualLayout,
} from '../../../src/supervisor/layout.ts';
import { debianSupervisordConf } from '../../../src/supervisor/distro-conf.ts';
import { defaultConf } from '../../../src/supervisor/setup-plan.ts';

test('Debian: socket and include dir from supervisord.conf', () => {
  assert.deepEqual(parseLayout('/etc/supervisor/supervisord.conf', debianSupervisordConf), {
    ok: true,
    layout: {
      confPath: '/etc/supervisor/supervisord.conf',
      socketPath: '/var/run/supervisor.sock',
      includeDir: '/etc/supervisor/conf.d',
      includeExtension: '.conf',
      includeGlobs: ['/etc/supervisor/conf.d/*.conf'],
    },
  });
});

test("RHEL/EPEL: relative include glob resolved against the conf's directory, .ini extension", () => {
  const { path, text } = defaultConf('dnf');
  const result = parseLayout(path, text);
  assert.ok(result.ok);
  assert.equal(result.layout.socketPath, '/run/supervisor/supervisor.sock');
  assert.equal(result.layout.includeDir, '/etc/supervisord.d');
  assert.equal(result.layout.includeExtension, '.ini');
});

test('pip style: %(here)s and relative paths', () => {
  const text = '[unix_http_server]\nfile=%(here)s/run/supervisor.sock\n[include]\nfiles = conf.d/*.conf other/*.conf\n';
  const result = parseLayout('/home/app/etc/supervisord.conf', text);
  assert.ok(result.ok);
  assert.equal(result.layout.socketPath, '/home/app/etc/run/supervisor.sock');
  assert.deepEqual(result.layout.includeGlobs, ['/home/app/etc/conf.d/*.conf', '/home/app/etc/other/*.conf']);
});

test('a conf without a unix socket or an include is a clear problem', () => {
  assert.deepEqual(parseLayout('/etc/s.conf', '[supervisord]\n'), {
    ok: false,
    problem: '/etc/s.conf has no [unix_http_server] file= (Convoy talks to supervisord through its unix socket)',
  });
  const noInclude = parseLayout('/etc/s.conf', '[unix_http_server]\nfile=/tmp/s.sock\n');
  assert.equal(noInclude.ok, false);
});

test('the conf finder looks at the explicit path only when one is set, quoted', () => {
  assert.match(findConfCommand(), /for f in \/etc\/supervisor\/supervisord\.conf \/etc\/supervisord\.conf /);
  assert.match(findConfCommand('/opt/my conf/s.conf'), /for f in '\/opt\/my conf\/s\.conf'; do/);
  const found = (path: string) => `---CONVOY-CONF ${path}---`;
  assert.deepEqual(parseFindConfOutput(`${found('/etc/x.conf')}\n[a]\nb=1\n`), {
    confPath: '/etc/x.conf',
    text: '[a]\nb=1\n',
  });
  assert.equal(parseFindConfOutput('---CONVOY-NO-CONF---\n'), undefined);
  // A login shell's rc files may print before the command's own output: the marker is what counts.
  assert.deepEqual(parseFindConfOutput(`Welcome to web1!\nCONF is a word\n${found('/etc/x.conf')}\n[a]\n`), {
    confPath: '/etc/x.conf',
    text: '[a]\n',
  });
  assert.match(findConfCommand(), /echo "---CONVOY-CONF \$f---"/);
});

test('a socket with username/password: credentials from [supervisorctl] (as supervisorctl takes them), else the server', () => {
  const base =
    '[unix_http_server]\nfile=/run/s.sock\nusername=admin\npassword=plain-pw\n[include]\nfiles=conf.d/*.conf\n';
  const own = parseLayout('/etc/supervisord.conf', base);
  assert.ok(own.ok);
  assert.deepEqual(own.layout.credentials, { username: 'admin', password: 'plain-pw' });
  const hashed = base.replace('plain-pw', '{SHA}82ab876d1387bfafe46cc1c8a2ef074eae50cb1d');
  const refused = parseLayout('/etc/supervisord.conf', hashed);
  assert.ok(!refused.ok);
  assert.match(refused.problem, /keeps only a \{SHA\} hash .* \[supervisorctl\] password=/);
  const client = parseLayout('/etc/supervisord.conf', `${hashed}[supervisorctl]\nusername=admin\npassword=from-ctl\n`);
  assert.ok(client.ok);
  assert.deepEqual(client.layout.credentials, { username: 'admin', password: 'from-ctl' });
  const none = parseLayout(
    '/etc/supervisord.conf',
    '[unix_http_server]\nfile=/run/s.sock\n[include]\nfiles=a/*.conf\n',
  );
  assert.ok(none.ok);
  assert.equal(none.layout.credentials, undefined);
});

test("a deploy's first read: the search as a function returns (the script reads on), and the usual layout is Debian's", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-layout-'));
  try {
    const conf = path.join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      '[unix_http_server]\nfile=/var/run/supervisor.sock\n[include]\nfiles = /etc/supervisor/conf.d/*.conf',
    );
    const script = `${findConfFunction(conf)}\nconvoy_find_conf\necho\necho ---AFTER---`;
    const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [found, after] = r.stdout.split('\n---AFTER---');
    assert.equal(after, '\n', 'the script went on after the search');
    const parsed = parseFindConfOutput(found ?? '');
    assert.equal(parsed?.confPath, conf);
    const layout = parseLayout(conf, parsed?.text ?? '');
    assert.ok(layout.ok);
    const usual = usualLayout();
    assert.ok(usual);
    assert.equal(sameInclude(layout.layout, usual), true);
    assert.equal(layout.layout.socketPath, usual.socketPath);
    assert.equal(usualLayout('/etc/supervisord.conf'), undefined, 'another conf named in the inventory: no guess');
    const rhel = parseLayout(
      '/etc/supervisord.conf',
      '[unix_http_server]\nfile=/run/s.sock\n[include]\nfiles = supervisord.d/*.ini\n',
    );
    assert.ok(rhel.ok);
    assert.equal(sameInclude(rhel.layout, usual), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
