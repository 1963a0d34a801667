// Secrets (docs/tasks.md, "secrets"): sources checked, values read once and never shown, keyed versions, and the
// file + wrapper that hand them to a program, run here through a real sh.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, test } from 'node:test';
import { resolveSecrets } from '../../../src/secrets/resolve.ts';
import { SecretValue, secretVersion, secretsFileText, secretsFileVersion } from '../../../src/secrets/values.ts';
import { validateApp } from '../../../src/tasks/validate.ts';
import { wrapperText, writeSecretsFileScript, pruneSecretsScript } from '../../../src/deploy/secrets-on-host.ts';
import { stepScript } from '../../../src/shell/script.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const program = { web: { command: 'run' } };

test('secrets are names with exactly one source each; a bad one is named with what was expected', () => {
  const ok = validateApp({
    name: 'api',
    root: '/srv/api',
    programs: program,
    secrets: { DB: { env: 'DB_PASSWORD' }, TOKEN: { command: 'pass show api' }, KEY: { file: 'keys/k' } },
  });
  assert.deepEqual(
    ok.app?.secrets.map((s) => s.name),
    ['DB', 'KEY', 'TOKEN'],
  );
  const bad = validateApp({
    name: 'api',
    root: '/srv/api',
    programs: program,
    secrets: { '1X': { env: 'A' }, B: { env: 'A', file: 'f' }, C: { vault: 'x' }, D: { env: 'not a name' } },
  });
  assert.deepEqual(
    bad.problems.map((p) => `${p.path}: ${p.message}`),
    [
      "secrets.1X: '1X' is not a variable name (expected letters, digits and _, not starting with a digit)",
      'secrets.B: expected exactly one of env, file or command, got env and file',
      'secrets.C.vault: unknown key (expected one of env, file, command)',
      'secrets.C: expected exactly one of env, file or command, got none',
      "secrets.D.env: 'not a name' is not an environment variable name",
    ],
  );
  const noProgram = validateApp({ name: 'a', root: '/srv/a', confFiles: ['a.conf'], secrets: { A: { env: 'A' } } });
  assert.match(noProgram.problems[0]?.message ?? '', /reach the programs of 'programs' only/);
});

test('values are read once from env, file and command; a failure names the secret and its source, never a value', async () => {
  writeFileSync(path.join(dir, 'key'), 'from-file\n');
  const where = "tasks/api.ts: app 'api'";
  const values = await resolveSecrets(
    [
      { name: 'A', source: { env: 'CONVOY_TEST_A' } },
      { name: 'B', source: { file: 'key' } },
      { name: 'C', source: { command: 'printf "it\'s\\n"' } },
    ],
    { project: dir, env: { CONVOY_TEST_A: 'from-env' }, where },
  );
  assert.deepEqual(
    values.map((v) => [v.name, v.reveal()]),
    [
      ['A', 'from-env'],
      ['B', 'from-file'],
      ['C', "it's"],
    ],
  );
  await assert.rejects(
    resolveSecrets(
      [
        { name: 'A', source: { env: 'UNSET' } },
        { name: 'B', source: { file: 'missing' } },
        { name: 'C', source: { command: 'echo s3cret-out; echo locked >&2; exit 3' } },
        { name: 'D', source: { command: 'true' } },
      ],
      { project: dir, env: {}, where },
    ),
    (error: Error) => {
      assert.equal(
        error.message,
        [
          'secrets: 4 could not be read',
          "  - tasks/api.ts: app 'api' secrets.A: the environment variable UNSET is not set",
          `  - tasks/api.ts: app 'api' secrets.B: cannot read ${path.join(dir, 'missing')} (ENOENT)`,
          "  - tasks/api.ts: app 'api' secrets.C: the command `echo s3cret-out; echo locked >&2; exit 3` exited 3: locked",
          "  - tasks/api.ts: app 'api' secrets.D: the command `true` gave an empty value",
        ].join('\n'),
      );
      return true;
    },
  );
});

test('a secret value prints, serialises and inspects as its name only', () => {
  const s = new SecretValue('DB', 'hunter2');
  const shown = [String(s), `${s}`, JSON.stringify({ s }), inspect(s), inspect({ s }, { depth: 5 })].join(' ');
  assert.doesNotMatch(shown, /hunter2/);
  assert.match(shown, /<secret DB>/);
});

test('versions are keyed: another key gives another version, and a short secret cannot be checked without the key', () => {
  const s = new SecretValue('PIN', '1234');
  assert.match(secretVersion('k1', s), /^[0-9a-f]{16}$/);
  assert.notEqual(secretVersion('k1', s), secretVersion('k2', s));
  assert.notEqual(secretsFileVersion('k1', [s], 'app'), secretsFileVersion('k1', [s], 'nobody'), 'the owner counts');
});

test('the file written by its script is 0600 and the wrapper hands the exact values to the program', () => {
  const values = [new SecretValue('A', 'it\'s $HOME `x` "q"\nline2'), new SecretValue('B', 'b')];
  const file = { program: 'web', owner: os.userInfo().username, path: path.join(dir, 'web.0123.env') };
  const wrote = spawnSync('sh', ['-s'], {
    input: stepScript(writeSecretsFileScript(file, false), secretsFileText(values)),
  });
  assert.equal(wrote.status, 0, wrote.stderr.toString());
  assert.equal(statSync(file.path).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(file.path, 'utf8'), /^export/m);
  const wrapper = path.join(dir, 'with-secrets');
  writeFileSync(wrapper, wrapperText, { mode: 0o755 });
  const ran = spawnSync(wrapper, [file.path, 'sh', '-c', 'printf "%s|%s" "$A" "$B"'], { encoding: 'utf8' });
  assert.equal(ran.stdout, 'it\'s $HOME `x` "q"\nline2|b');
  const missing = spawnSync(wrapper, [path.join(dir, 'gone.env'), 'true'], { encoding: 'utf8' });
  assert.equal(missing.status, 78);
});

test('prune keeps the files the new and previous confs name, and removes the others', () => {
  const secretsDir = path.join(dir, 'shared', '.convoy-secrets');
  spawnSync('mkdir', ['-p', secretsDir]);
  for (const name of ['web.aaaa.env', 'web.bbbb.env', 'web.cccc.env', 'web.dddd.env.convoy-tmp'])
    writeFileSync(path.join(secretsDir, name), '');
  const conf = (v: string) => `command=/x/with-secrets ${secretsDir}/web.${v}.env run\n`;
  const script = pruneSecretsScript({ key: '', wrapper: '', dir: secretsDir }, [conf('aaaa'), conf('cccc'), null]);
  assert.equal(spawnSync('sh', ['-c', script]).status, 0);
  assert.deepEqual(spawnSync('ls', [secretsDir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean), [
    'web.aaaa.env',
    'web.cccc.env',
  ]);
});
