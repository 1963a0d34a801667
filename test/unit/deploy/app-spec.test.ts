import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appSpecFor } from '../../../src/deploy/app-spec.ts';
import { readConfFiles, renderConf } from '../../../src/deploy/render-conf.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';
import { validateApp } from '../../../src/tasks/validate.ts';

const host: HostConfig = {
  name: 'web1',
  address: '10.0.0.5',
  port: 22,
  user: 'deploy',
  identityFiles: [],
  sudo: false,
  vars: { app_port: '8080', motto: '100%' },
  groups: ['web'],
};

test('hand-written confFiles are rendered per host, values %-escaped, after the generated sections', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'convoy-conf-'));
  writeFileSync(
    path.join(project, 'extra.conf'),
    '[program:hello-extra]\ncommand=/bin/echo {{motto}} on {{host}}:{{app_port}}\nprocess_name=%(program_name)s\n',
  );
  const { app, problems } = validateApp(
    { name: 'hello', root: '/srv/hello', confFiles: ['extra.conf'] },
    { hosts: [host] },
  );
  assert.deepEqual(problems, []);
  assert.ok(app);
  assert.equal(
    renderConf(app, host, '20261125T000000Z-aaaaaaaa', readConfFiles(app, project)),
    '; from extra.conf\n[program:hello-extra]\ncommand=/bin/echo 100%% on web1:8080\nprocess_name=%(program_name)s\n',
  );
  const withPrograms = validateApp(
    { name: 'hello', root: '/srv/hello', programs: { web: { command: 'run' } }, confFiles: ['extra.conf'] },
    { hosts: [host] },
  ).app;
  assert.ok(withPrograms);
  const both = renderConf(withPrograms, host, 'r', readConfFiles(withPrograms, project));
  assert.ok(both.indexOf('[group:hello]') < both.indexOf('; from extra.conf'));
  assert.throws(() => readConfFiles({ ...app, confFiles: ['missing.conf'] }, project), {
    message: /confFiles: .*missing\.conf not found/,
  });
});

test('hooks and a health check command get each variable as one quoted shell word, never as code', () => {
  const evil = { ...host, vars: { ...host.vars, note: "$(touch /tmp/pwned) `id`; it's" } };
  const { app } = validateApp(
    {
      name: 'hello',
      root: '/srv/hello',
      programs: { web: { command: 'run' } },
      hooks: { afterUpload: 'echo {{note}} > {{root}}/note' },
      healthcheck: { command: 'test {{note}} = x', timeout: '1s' },
    },
    { hosts: [evil] },
  );
  assert.ok(app);
  const spec = appSpecFor(app, evil);
  assert.equal(spec.hooks.afterUpload, "echo '$(touch /tmp/pwned) `id`; it'\\''s' > /srv/hello/note");
  assert.equal(spec.gate.healthcheck?.target, "test '$(touch /tmp/pwned) `id`; it'\\''s' = x");
});
