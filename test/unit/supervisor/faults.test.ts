import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConvoyError, ExitCode } from '../../../src/errors.ts';
import { Faults, SupervisorFault, faultFromResponse, isFault } from '../../../src/supervisor/faults.ts';

test("the fault table is supervisor 4.2.5's", () => {
  assert.deepEqual(Faults, {
    UNKNOWN_METHOD: 1,
    INCORRECT_PARAMETERS: 2,
    BAD_ARGUMENTS: 3,
    SIGNATURE_UNSUPPORTED: 4,
    SHUTDOWN_STATE: 6,
    BAD_NAME: 10,
    BAD_SIGNAL: 11,
    NO_FILE: 20,
    NOT_EXECUTABLE: 21,
    FAILED: 30,
    ABNORMAL_TERMINATION: 40,
    SPAWN_ERROR: 50,
    ALREADY_STARTED: 60,
    NOT_RUNNING: 70,
    SUCCESS: 80,
    ALREADY_ADDED: 90,
    STILL_RUNNING: 91,
    CANT_REREAD: 92,
  });
});

test('"NAME: detail" splits into the name and the detail', () => {
  const fault = faultFromResponse(10, 'BAD_NAME: web:web9');
  assert.ok(fault instanceof SupervisorFault);
  assert.ok(fault instanceof ConvoyError);
  assert.equal(fault.name, 'SupervisorFault');
  assert.equal(fault.code, 10);
  assert.equal(fault.faultName, 'BAD_NAME');
  assert.equal(fault.detail, 'web:web9');
  assert.equal(fault.faultString, 'BAD_NAME: web:web9');
  assert.equal(fault.message, 'supervisord: BAD_NAME: web:web9');
  assert.equal(fault.exitCode, ExitCode.hostFailed);
});

test('a bare fault name (UNKNOWN_METHOD, INCORRECT_PARAMETERS) has an empty detail', () => {
  const fault = faultFromResponse(1, 'UNKNOWN_METHOD');
  assert.equal(fault.faultName, 'UNKNOWN_METHOD');
  assert.equal(fault.detail, '');
  assert.equal(fault.message, 'supervisord: UNKNOWN_METHOD');
});

test('a detail that itself holds ": " and newlines is kept whole', () => {
  const text = "CANT_REREAD: Source contains parsing errors: '/etc/supervisord.conf'\n\t[line 38]: 'oops\\n'";
  const fault = faultFromResponse(92, text);
  assert.equal(fault.faultName, 'CANT_REREAD');
  assert.equal(fault.detail, "Source contains parsing errors: '/etc/supervisord.conf'\n\t[line 38]: 'oops\\n'");
  assert.equal(fault.message, `supervisord: ${text}`);
});

test('the name comes from the code, even when the text does not start with it', () => {
  const fault = faultFromResponse(30, 'something broke');
  assert.equal(fault.faultName, 'FAILED');
  assert.equal(fault.detail, 'something broke');
  assert.equal(fault.message, 'supervisord: FAILED: something broke');
});

test('an unknown code takes its name from the text, else UNKNOWN', () => {
  const named = faultFromResponse(999, 'NEW_THING: x');
  assert.deepEqual([named.faultName, named.detail, named.message], ['NEW_THING', 'x', 'supervisord: NEW_THING: x']);
  const bare = faultFromResponse(999, 'weird text');
  assert.deepEqual(
    [bare.faultName, bare.detail, bare.message],
    ['UNKNOWN', 'weird text', 'supervisord: UNKNOWN: weird text'],
  );
});

test('isFault matches the fault by name and nothing else', () => {
  const fault = faultFromResponse(60, 'ALREADY_STARTED: web:web1');
  assert.equal(isFault(fault, 'ALREADY_STARTED'), true);
  assert.equal(isFault(fault, 'NOT_RUNNING'), false);
  assert.equal(isFault(new ConvoyError('ALREADY_STARTED'), 'ALREADY_STARTED'), false);
  assert.equal(isFault({ code: 60, faultName: 'ALREADY_STARTED' }, 'ALREADY_STARTED'), false);
  assert.equal(isFault(undefined, 'ALREADY_STARTED'), false);
});
