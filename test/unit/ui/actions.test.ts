// An action request is checked against what the host runs before anything is sent to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseActionRequest } from '../../../src/ui/actions.ts';
import type { HostView } from '../../../src/ui/model.ts';

const program = (group: string, name: string) => ({
  group,
  name,
  state: 'RUNNING',
  pid: 1,
  start: 1,
  now: 2,
  info: '',
});
const h1: HostView = {
  host: 'h1',
  reach: 'ok',
  programs: [program('web', 'web_00'), program('other', 'other')],
  apps: {},
};
const viewOf = (host: string) => (host === 'h1' ? h1 : undefined);

test('one program or a group on one host', () => {
  assert.deepEqual(parseActionRequest({ action: 'restart', host: 'h1', programs: ['web:web_00'] }, viewOf), {
    ok: true,
    request: { action: 'restart', host: 'h1', programs: ['web:web_00'] },
  });
  assert.equal(parseActionRequest({ action: 'stop', host: 'h1', programs: ['web:*'] }, viewOf).ok, true);
});

test('anything else is refused, with the key, the value and what was expected', () => {
  const problem = (body: unknown) => {
    const r = parseActionRequest(body, viewOf);
    return r.ok ? 'accepted' : r.problem;
  };
  assert.equal(problem('x'), 'expected a JSON object');
  assert.equal(
    problem({ action: 'kill', host: 'h1', programs: ['web:*'] }),
    'action: expected one of start, stop, restart, got "kill"',
  );
  assert.equal(
    problem({ action: 'stop', host: 'h9', programs: ['web:*'] }),
    'host: expected a host of the target or *, got "h9"',
  );
  assert.equal(
    problem({ action: 'stop', host: 'h1', programs: [] }),
    'programs: expected a list of group:name or group:*',
  );
  assert.equal(
    problem({ action: 'stop', host: 'h1', programs: ['web:*', 'all', '*:*', 'db:*'] }),
    'programs: all, *:*, db:* not on h1 (expected group:name or group:*)',
  );
});

test('every host (*): one group:* that some host runs', () => {
  const all = () => [h1];
  const problem = (programs: string[]) => {
    const r = parseActionRequest({ action: 'restart', host: '*', programs }, viewOf, all);
    return r.ok ? 'accepted' : r.problem;
  };
  assert.equal(problem(['web:*']), 'accepted');
  assert.equal(problem(['web:web_00']), 'programs: expected one group:* for every host, got web:web_00');
  assert.equal(problem(['web:*', 'other:*']), 'programs: expected one group:* for every host, got web:*, other:*');
  assert.equal(problem(['db:*']), 'programs: db:* not on any host (expected group:name or group:*)');
});
