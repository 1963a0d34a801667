// Webhook URLs in the inventory's [defaults] (`notify`, `notify_timeout`): checked at load, refused elsewhere, and
// never printed whole (a hook's path is its token).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../src/errors.ts';
import { parseInventory } from '../../../src/inventory/index.ts';
import { parseNotifyList, redactedUrl, webhookLabel, webhookUrlProblem } from '../../../src/inventory/webhooks.ts';

const file = 'inventories/x.ini';
const options = { homeDir: '/home/me', defaultUser: 'me' };
const token = 'T000/B000/XXXXSECRETXXXX';

function problems(text: string): string[] {
  try {
    parseInventory(text, file, options);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  return assert.fail('expected a ValidationError');
}

test('a URL is shown by its scheme, host and port only; a non-URL by its first characters', () => {
  assert.equal(redactedUrl(`https://hooks.slack.com/services/${token}`), 'https://hooks.slack.com/…');
  assert.equal(redactedUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(redactedUrl('https://bot:pw@chat.example.com/hook?key=1'), 'https://chat.example.com/…');
  assert.equal(redactedUrl(`hooks.slack.com/services/${token}`), 'hooks.slack.com…');
  assert.equal(redactedUrl('xoxb-123456789012345678901234'), 'xoxb-12345678901…');
  assert.equal(webhookLabel({ url: `https://hooks.slack.com:8443/services/${token}` }), 'hooks.slack.com:8443');
  assert.equal(webhookLabel({ env: 'SLACK_HOOK' }), '$SLACK_HOOK');
  assert.equal(webhookLabel({ file: 'secrets/hook' }), 'file secrets/hook');
});

test('only http and https URLs with a host and no credentials are webhooks; messages hide the path', () => {
  assert.equal(webhookUrlProblem(`https://hooks.slack.com/services/${token}`), undefined);
  assert.equal(webhookUrlProblem('http://127.0.0.1:9/x'), undefined);
  const bad = [
    `ftp://files.example.com/${token}`,
    `hooks.slack.com/services/${token}`,
    'https://user:XXXXSECRETXXXX@example.com/',
  ].map((u) => webhookUrlProblem(u) ?? '');
  assert.deepEqual(bad, [
    "'ftp://files.example.com/…' is not http or https (expected an http:// or https:// URL)",
    "'hooks.slack.com…' is not a URL (expected an http:// or https:// URL)",
    "'https://example.com' holds a user name or password (not supported)",
  ]);
  for (const message of bad) assert.ok(!message.includes('SECRET'), message);
  assert.match(webhookUrlProblem('nope', '$HOOK') ?? '', /^\$HOOK is not a URL/);
});

test('notify is a comma-separated list of URLs and env:NAME', () => {
  assert.deepEqual(parseNotifyList('https://a.example/x, env:SLACK_HOOK,'), {
    sources: [{ url: 'https://a.example/x' }, { env: 'SLACK_HOOK' }],
    problems: [],
  });
  assert.deepEqual(parseNotifyList('env:1BAD').problems, [
    "'env:1BAD' is not env:NAME (expected an environment variable name after env:)",
  ]);
});

test('[defaults] notify and notify_timeout load into the inventory, with where they are written', () => {
  const text = `[defaults]\nuser = me\nnotify = https://hooks.example.com/${token}, env:HOOK\nnotify_timeout = 2s\n\n[host:a]\n`;
  const inventory = parseInventory(text, file, options);
  assert.deepEqual(inventory.notify, {
    where: 'inventories/x.ini:3: [defaults]',
    webhooks: [
      { key: 'notify', source: { url: `https://hooks.example.com/${token}` } },
      { key: 'notify', source: { env: 'HOOK' } },
    ],
    timeoutMs: 2000,
  });
  assert.equal(parseInventory('[host:a]\n', file, options).notify, undefined);
  assert.equal(inventory.hosts[0]?.vars.notify, undefined, 'notify is not a variable');
});

test('notify in a group or a host, a bad URL, a bad timeout and a misspelt key: each named by file, line and key', () => {
  const text = [
    '[defaults]',
    `notify = https://hooks.example.com/${token}, ftp://x.example/${token}`,
    'notify_timeout = 5m',
    'notfy = https://x',
    '[group:web]',
    'hosts = a',
    'notify = https://hooks.example.com/x',
    '[host:a]',
    'notify_timeout = 1s',
  ].join('\n');
  const found = problems(text);
  assert.deepEqual(found, [
    "inventories/x.ini:2: [defaults] notify: 'ftp://x.example/…' is not http or https (expected an http:// or https:// URL); or env:NAME for a URL read from the environment",
    "inventories/x.ini:3: [defaults] notify_timeout: '5m' is not valid (expected a duration above 0, at most 1m (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m'))",
    "inventories/x.ini:4: [defaults] notfy: unknown setting (did you mean 'notify'? a variable must not look like a setting)",
    "inventories/x.ini:7: [group:web] notify: only allowed in [defaults] (notifications are the run's, not a host's; an app sets its own `notify` in its task file)",
    "inventories/x.ini:9: [host:a] notify_timeout: only allowed in [defaults] (notifications are the run's, not a host's; an app sets its own `notify` in its task file)",
  ]);
  assert.ok(!found.join('\n').includes('SECRET'));
});
