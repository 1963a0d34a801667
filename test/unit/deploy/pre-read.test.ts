// The ownership pass's reads (src/deploy/pre-read.ts): taken once per app and host; once an app of the run is done,
// the others' reads say their processes must be read again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreReads } from '../../../src/deploy/pre-read.ts';
import type { RemoteState } from '../../../src/deploy/remote-state.ts';

const state = {
  current: 'r1',
  entries: ['r1'],
  artifactCached: false,
  conf: null,
  lockOwner: undefined,
  record: [],
  clashes: [],
} as RemoteState;

test('a read is taken once, by app and host; an app done makes the others read their processes again', () => {
  const reads = new PreReads();
  reads.keep('web', 'h1', { state, running: [] });
  reads.keep('api', 'h1', { state, running: [] });
  assert.equal(reads.take('web', 'h2'), undefined);
  assert.equal(reads.take('web', 'h1')?.processesStale, undefined);
  assert.equal(reads.take('web', 'h1'), undefined, 'taken once');
  reads.appDone();
  assert.equal(reads.take('api', 'h1')?.processesStale, true);
});
