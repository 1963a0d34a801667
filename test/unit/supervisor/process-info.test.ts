import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ProcessStates, qualifiedName, toProcessInfo, uptimeText } from '../../../src/supervisor/process-info.ts';
import type { ProcessInfo } from '../../../src/supervisor/process-info.ts';
import { XmlRpcProtocolError, decodeResponse } from '../../../src/supervisor/xmlrpc.ts';
import type { XmlRpcStruct, XmlRpcValue } from '../../../src/supervisor/xmlrpc.ts';

// Captured from a real supervisord 4.2.5 (see test/fixtures/supervisor/).
const logs = '/tmp/convoy-xmlrpc-fixtures.2qXORY/logs';
function fixture(name: string): XmlRpcValue {
  return decodeResponse(readFileSync(path.join(import.meta.dirname, '../../fixtures/supervisor', name), 'utf8'));
}

const web1Running: ProcessInfo = {
  name: 'web1',
  group: 'web',
  start: 1795638530,
  stop: 0,
  now: 1795638536,
  state: 20,
  statename: 'RUNNING',
  spawnerr: '',
  exitstatus: 0,
  pid: 21023,
  description: 'pid 21023, uptime 0:00:06',
  logfile: `${logs}/web1.out`,
  stdout_logfile: `${logs}/web1.out`,
  stderr_logfile: `${logs}/web1.err`,
};

test("the state table is supervisor's", () => {
  assert.deepEqual(ProcessStates, {
    STOPPED: 0,
    STARTING: 10,
    RUNNING: 20,
    BACKOFF: 30,
    STOPPING: 40,
    EXITED: 100,
    FATAL: 200,
    UNKNOWN: 1000,
  });
});

test('getProcessInfo of a running member of [group:web]', () => {
  assert.deepEqual(toProcessInfo(fixture('getProcessInfo-web1.xml')), web1Running);
});

test('getProcessInfo after stopProcessGroup: STOPPED, pid 0, exitstatus -1 (killed by a signal)', () => {
  const info = toProcessInfo(fixture('getProcessInfo-web1-stopped.xml'));
  assert.deepEqual(
    {
      state: info.state,
      statename: info.statename,
      pid: info.pid,
      exitstatus: info.exitstatus,
      stop: info.stop,
      description: info.description,
    },
    { state: 0, statename: 'STOPPED', pid: 0, exitstatus: -1, stop: 1795638556, description: 'Nov 25 08:29 PM' },
  );
});

test('getProcessInfo of a FATAL program carries spawnerr', () => {
  const info = toProcessInfo(fixture('getProcessInfo-fails-fatal.xml'));
  assert.equal(info.state, ProcessStates.FATAL);
  assert.equal(info.statename, 'FATAL');
  assert.equal(info.spawnerr, 'Exited too quickly (process log may have details)');
  assert.equal(uptimeText(info), '');
});

test('getAllProcessInfo: names and uptimes as supervisorctl status shows them', () => {
  const value = fixture('getAllProcessInfo.xml');
  assert.ok(Array.isArray(value));
  const infos = value.map(toProcessInfo);
  assert.deepEqual(infos.map(qualifiedName), ['fails', 'lone', 'web:web1', 'web:web2']);
  assert.deepEqual(
    infos.map((p) => p.statename),
    ['STOPPED', 'RUNNING', 'RUNNING', 'RUNNING'],
  );
  assert.deepEqual(infos.map(uptimeText), ['', '0:00:06', '0:00:06', '0:00:06']);
  // supervisord computed the same uptime into its own description.
  for (const p of infos.filter((i) => i.statename === 'RUNNING')) {
    assert.equal(p.description, `pid ${p.pid}, uptime ${uptimeText(p)}`);
  }
  assert.deepEqual(infos[2], web1Running);
});

test('qualifiedName drops the group only when it equals the name', () => {
  assert.equal(qualifiedName({ group: 'lone', name: 'lone' }), 'lone');
  assert.equal(qualifiedName({ group: 'web', name: 'web1' }), 'web:web1');
  assert.equal(qualifiedName({ group: 'app', name: 'app_00' }), 'app:app_00');
});

test("uptimeText formats like Python's str(timedelta)", () => {
  const at = (seconds: number): string =>
    uptimeText({ state: ProcessStates.RUNNING, start: 1_000_000, now: 1_000_000 + seconds });
  // Expected values printed by python3 -c 'import datetime; print(str(datetime.timedelta(seconds=s)))'.
  assert.equal(at(0), '0:00:00');
  assert.equal(at(59), '0:00:59');
  assert.equal(at(61), '0:01:01');
  assert.equal(at(3600), '1:00:00');
  assert.equal(at(86399), '23:59:59');
  assert.equal(at(86400), '1 day, 0:00:00');
  assert.equal(at(90061), '1 day, 1:01:01');
  assert.equal(at(2 * 86400 + 5), '2 days, 0:00:05');
  assert.equal(at(400 * 86400 + 36000), '400 days, 10:00:00');
});

test('uptimeText is 0:00:00 when the clock went back, and empty unless RUNNING', () => {
  assert.equal(uptimeText({ state: ProcessStates.RUNNING, start: 2000, now: 1000 }), '0:00:00');
  for (const state of [ProcessStates.STARTING, ProcessStates.BACKOFF, ProcessStates.STOPPING, ProcessStates.EXITED]) {
    assert.equal(uptimeText({ state, start: 1000, now: 5000 }), '');
  }
});

function withoutKeys(...keys: string[]): XmlRpcStruct {
  return Object.fromEntries(Object.entries(web1Running).filter(([k]) => !keys.includes(k)));
}

function protocolError(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof XmlRpcProtocolError, String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

test('a missing field is named', () => {
  assert.throws(() => toProcessInfo(withoutKeys('pid')), protocolError(/process info of web:web1: no 'pid'$/));
});

test('every problem is reported at once', () => {
  const value = { ...withoutKeys('stdout_logfile'), start: '1795638530', description: 7 };
  const expected = `process info of web:web1: 'start' is "1795638530", not an int; 'description' is 7, not a string; no 'stdout_logfile'`;
  assert.throws(
    () => toProcessInfo(value),
    (error: unknown) => {
      assert.ok(error instanceof XmlRpcProtocolError);
      assert.equal(error.message, `unexpected XML-RPC response from supervisord: ${expected}`);
      return true;
    },
  );
});

test('an unknown statename, or a state that does not match it, is refused', () => {
  assert.throws(
    () => toProcessInfo({ ...web1Running, statename: 'SLEEPING' }),
    protocolError(/'statename' "SLEEPING" is not a supervisor process state/),
  );
  assert.throws(
    () => toProcessInfo({ ...web1Running, state: 0 }),
    protocolError(/'state' 0 does not match 'statename' RUNNING \(20\)/),
  );
  assert.throws(
    () => toProcessInfo(withoutKeys('statename', 'name')),
    protocolError(/: process info: no 'name'; no 'statename'$/),
  );
});

test('a non-struct is refused', () => {
  assert.throws(() => toProcessInfo([{ ...web1Running }]), protocolError(/process info is not a struct/));
  assert.throws(() => toProcessInfo('web1'), protocolError(/process info is not a struct: "web1"/));
});

test('fields supervisord may add later are ignored', () => {
  assert.deepEqual(toProcessInfo({ ...web1Running, cpu: 3 }), web1Running);
});
