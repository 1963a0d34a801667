import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateApp } from '../../../src/tasks/validate.ts';
import { releasePathProblem } from '../../../src/tasks/validate-shared.ts';

const base = { name: 'web', root: '/srv/web', programs: { web: { command: 'node server.js' } } };

function problems(extra: Record<string, unknown>): string[] {
  const result = validateApp({ ...base, ...extra });
  assert.equal(result.app, undefined, 'an app with problems must not be returned');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

test('shared paths and templates normalise: lists sorted, templates by path', () => {
  const result = validateApp({
    ...base,
    shared: { dirs: ['var/cache', 'uploads'], files: ['config/local.json'] },
    templates: { 'config/b.json': 'deploy/b.tmpl', 'config/a.json': 'deploy/a.tmpl' },
  });
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.app?.shared, { dirs: ['uploads', 'var/cache'], files: ['config/local.json'] });
  assert.deepEqual(result.app?.templates, [
    { path: 'config/a.json', source: 'deploy/a.tmpl' },
    { path: 'config/b.json', source: 'deploy/b.tmpl' },
  ]);
});

test('a release path is relative, normalized and free of shell metacharacters', () => {
  assert.equal(releasePathProblem('var/cache'), undefined);
  assert.equal(releasePathProblem('.env'), undefined);
  assert.match(releasePathProblem('/etc/passwd') ?? '', /^'\/etc\/passwd' is absolute/);
  assert.match(releasePathProblem('../x') ?? '', /'\.\.\/x' has a '\.' or '\.\.' part/);
  assert.match(releasePathProblem('a/./b') ?? '', /has a '\.' or '\.\.' part/);
  for (const bad of ['a//b', 'a/', 'a b', '$(x)', 'a\nb', '', '*']) {
    assert.match(releasePathProblem(bad) ?? '', /is not a safe relative path/, JSON.stringify(bad));
  }
});

test('bad shared paths name the key and the value', () => {
  assert.deepEqual(
    problems({
      shared: {
        dirs: ['uploads', '/abs', '../up', 'uploads', 'var', '.convoy-secrets', 'log'],
        files: ['var/cache.json', 'config/local.json', 'log/x'],
      },
    }),
    [
      "shared.dirs[1]: '/abs' is absolute (expected a path relative to the release, e.g. 'var/cache')",
      "shared.dirs[2]: '../up' has a '.' or '..' part (expected a normalized path inside the release)",
      "shared.dirs[3]: 'uploads' is given twice (also shared.dirs[0])",
      "shared.dirs[5]: '.convoy-secrets' starts with '.convoy' (expected a path of the app's own: <root>/shared/.convoy-secrets is Convoy's)",
      "shared.files[0]: 'var/cache.json' overlaps shared.dirs[4] 'var' (var/cache.json is inside var: link one or the other)",
      "shared.files[2]: 'log/x' overlaps shared.dirs[6] 'log' (log/x is inside log: link one or the other)",
    ],
  );
});

test('shared must be an object of string lists; unknown keys get a suggestion', () => {
  assert.deepEqual(problems({ shared: { dir: ['a'], files: 'x' } }), [
    "shared.dir: unknown key (did you mean 'dirs'?)",
    "shared.files: expected an array of strings, got 'x'",
  ]);
  assert.deepEqual(problems({ shared: ['a'] }), ['shared: expected an object, got an array']);
});

test('a template goes to a release path outside the shared ones, from a named file', () => {
  assert.deepEqual(
    problems({
      shared: { dirs: ['var'], files: ['config/local.json'] },
      templates: {
        'var/app.json': 'deploy/a.tmpl',
        'config/local.json': 'deploy/b.tmpl',
        '/etc/app.json': 'deploy/c.tmpl',
        'config/ok.json': '',
      },
    }),
    [
      "templates.var/app.json: 'var/app.json' overlaps the shared dir 'var' (a rendered file belongs to one release, not to <root>/shared/)",
      "templates.config/local.json: 'config/local.json' overlaps the shared file 'config/local.json' (render it, or share it: not both)",
      "templates./etc/app.json: '/etc/app.json' is absolute (expected a path relative to the release, e.g. 'var/cache')",
      'templates.config/ok.json: must not be empty',
    ],
  );
});
