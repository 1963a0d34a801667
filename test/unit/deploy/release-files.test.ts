// Shared paths and templates in a release: rendered per host, part of the release's identity (secrets by keyed
// version only), and the staging script's links and files, run through a real sh in a temporary directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ReleaseFiles } from '../../../src/deploy/release-files.ts';
import {
  placeReleaseFilesScript,
  releaseContentHash,
  releaseFilesFor,
  sharedCheckScript,
} from '../../../src/deploy/release-files.ts';
import { SecretValue } from '../../../src/secrets/values.ts';
import { validateApp } from '../../../src/tasks/validate.ts';
import type { NormalisedApp } from '../../../src/tasks/normalised.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convoy-release-files-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function app(extra: Record<string, unknown>): NormalisedApp {
  const result = validateApp({ name: 'web', root: '/srv/web', programs: { web: { command: 'x' } }, ...extra });
  assert.deepEqual(result.problems, []);
  return result.app!;
}

const host = { name: 'h1', address: '10.0.0.1', user: 'deploy', vars: { region: 'eu-west' } };
const secret = new SecretValue('DB_PASSWORD', "pw'with-$(quote)");
const templated = app({
  shared: { dirs: ['uploads'], files: ['config/local.json'] },
  templates: { 'config/app.json': 'deploy/app.json.tmpl', 'VERSION.txt': 'deploy/v.tmpl' },
  secrets: { DB_PASSWORD: { env: 'X' } },
});
const texts = new Map([
  [
    'deploy/app.json.tmpl',
    '{"host":"{{host}}","region":"{{ region }}","db":"{{secret.DB_PASSWORD}}","r":"{{release}}"}\n',
  ],
  ['deploy/v.tmpl', 'on {{address}}'],
]);

test('templates render with the host values, built-ins ({{release}} is `current`) and secrets; the mask keeps secrets out', () => {
  const files = releaseFilesFor(templated, host, texts, [secret]);
  assert.deepEqual(files.shared, { dirs: ['uploads'], files: ['config/local.json'] });
  assert.deepEqual(
    files.templates.map((t) => [t.path, t.secrets]),
    [
      ['VERSION.txt', []],
      ['config/app.json', ['DB_PASSWORD']],
    ],
  );
  const json = files.templates[1]!;
  assert.equal(json.text, `{"host":"h1","region":"eu-west","db":"pw'with-$(quote)","r":"current"}\n`);
  assert.equal(json.masked, '{"host":"h1","region":"eu-west","db":"{{secret.DB_PASSWORD}}","r":"current"}\n');
  assert.equal(files.templates[0]!.text, 'on 10.0.0.1');
});

test('an undefined variable or secret names the template, its source and the name, never a value', () => {
  const bad = new Map([...texts, ['deploy/v.tmpl', '{{secret.DB_PASWORD}} {{regoin}}']]);
  assert.throws(
    () => releaseFilesFor(templated, host, bad, [secret]),
    (e: Error) =>
      /^templates\.VERSION\.txt \(deploy\/v\.tmpl\): \{\{secret\.DB_PASWORD\}\} is not defined \(did you mean \{\{secret\.DB_PASSWORD\}\}\?\)$/.test(
        e.message,
      ) && !e.message.includes(secret.reveal()),
  );
});

test("the release's identity: the artifact's hash alone without shared paths or templates, else every part of it", () => {
  const sha = 'a'.repeat(64);
  const plain = releaseFilesFor(app({}), host, new Map(), []);
  assert.equal(releaseContentHash(sha, plain, new Map()), sha);
  assert.equal(releaseContentHash(sha, undefined, new Map()), sha);
  const files = releaseFilesFor(templated, host, texts, [secret]);
  const v1 = new Map([['DB_PASSWORD', '1111111111111111']]);
  const hash = releaseContentHash(sha, files, v1);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.notEqual(hash, sha);
  assert.equal(releaseContentHash(sha, releaseFilesFor(templated, host, texts, [secret]), v1), hash, 'stable');
  const other = { ...host, vars: { region: 'us-east' } };
  assert.notEqual(releaseContentHash(sha, releaseFilesFor(templated, other, texts, [secret]), v1), hash);
  // A new secret value is a new keyed version: a new release; the value itself is never hashed.
  const changed = releaseFilesFor(templated, host, texts, [new SecretValue('DB_PASSWORD', 'other')]);
  assert.equal(releaseContentHash(sha, changed, v1), hash);
  assert.notEqual(releaseContentHash(sha, files, new Map([['DB_PASSWORD', '2222222222222222']])), hash);
  const moreShared = { ...files, shared: { dirs: ['uploads', 'tmp'], files: ['config/local.json'] } };
  assert.notEqual(releaseContentHash(sha, moreShared, v1), hash);
});

function sh(script: string): { code: number | null; stderr: string } {
  const r = spawnSync('sh', ['-c', `set -e\n${script}`], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

test('the shared check makes missing dirs (0755), names every missing file at once, and fails', () => {
  const root = path.join(tmp, 'check');
  mkdirSync(path.join(root, 'shared'), { recursive: true });
  const shared = { dirs: ['uploads', 'var/cache'], files: ['config/local.json', 'config/other.json', 'keys.pem'] };
  const r = sh(sharedCheckScript(root, shared));
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim(),
    `convoy: missing shared file: ${root}/shared/config/local.json ${root}/shared/config/other.json ${root}/shared/keys.pem (put them there on each host: they are linked into every release)`,
  );
  assert.equal(statSync(path.join(root, 'shared', 'var', 'cache')).mode & 0o777, 0o755);
  // The directory of a shared file is made, so that putting the file there is one write.
  assert.equal(statSync(path.join(root, 'shared', 'config')).mode & 0o777, 0o755);
  writeFileSync(path.join(root, 'shared', 'config', 'other.json'), '{}');
  writeFileSync(path.join(root, 'shared', 'config', 'local.json'), '{}');
  writeFileSync(path.join(root, 'shared', 'keys.pem'), 'k');
  assert.deepEqual(sh(sharedCheckScript(root, shared)), { code: 0, stderr: '' });
});

test("links are relative and replace the artifact's copy; templates are written 0640 with a secret, else 0644", () => {
  const root = path.join(tmp, 'place');
  const release = path.join(root, 'releases', 'r1.partial');
  mkdirSync(path.join(release, 'uploads', 'from-artifact'), { recursive: true });
  mkdirSync(path.join(release, 'config'), { recursive: true });
  writeFileSync(path.join(release, 'config', 'local.json'), 'sample');
  writeFileSync(path.join(release, 'config', 'app.json'), 'sample');
  const files: ReleaseFiles = {
    shared: { dirs: ['uploads', 'var/cache'], files: ['config/local.json'] },
    templates: [
      { path: 'config/app.json', text: "db='x' $(y)\n", secrets: ['DB'], masked: '' },
      { path: 'deep/er/plain.txt', text: 'plain', secrets: [], masked: '' },
    ],
  };
  assert.deepEqual(sh(placeReleaseFilesScript(release, files)), { code: 0, stderr: '' });
  assert.equal(readlinkSync(path.join(release, 'uploads')), '../../shared/uploads');
  assert.equal(readlinkSync(path.join(release, 'var', 'cache')), '../../../shared/var/cache');
  assert.equal(readlinkSync(path.join(release, 'config', 'local.json')), '../../../shared/config/local.json');
  assert.equal(readFileSync(path.join(release, 'config', 'app.json'), 'utf8'), "db='x' $(y)\n");
  assert.equal(lstatSync(path.join(release, 'config', 'app.json')).mode & 0o777, 0o640);
  assert.equal(readFileSync(path.join(release, 'deep', 'er', 'plain.txt'), 'utf8'), 'plain');
  assert.equal(lstatSync(path.join(release, 'deep', 'er', 'plain.txt')).mode & 0o777, 0o644);
  // Once renamed, the links land in <root>/shared.
  mkdirSync(path.join(root, 'shared', 'var', 'cache'), { recursive: true });
  writeFileSync(path.join(root, 'shared', 'var', 'cache', 'kept'), 'yes');
  assert.equal(sh(`mv -T ${release} ${root}/releases/r1`).code, 0);
  assert.equal(readFileSync(path.join(root, 'releases', 'r1', 'var', 'cache', 'kept'), 'utf8'), 'yes');
});

test('a symlink among the parents in the artifact is refused: nothing is placed outside the release', () => {
  const release = path.join(tmp, 'escape', 'releases', 'r1.partial');
  const outside = path.join(tmp, 'escape', 'outside');
  mkdirSync(path.join(outside, 'cache'), { recursive: true });
  writeFileSync(path.join(outside, 'cache', 'precious'), 'keep');
  mkdirSync(release, { recursive: true });
  spawnSync('ln', ['-s', outside, path.join(release, 'var')]);
  const files: ReleaseFiles = { shared: { dirs: ['var/cache'], files: [] }, templates: [] };
  const r = sh(placeReleaseFilesScript(release, files));
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'convoy: var is a symlink in the release: cannot place var/cache under it');
  assert.equal(readFileSync(path.join(outside, 'cache', 'precious'), 'utf8'), 'keep');
});
