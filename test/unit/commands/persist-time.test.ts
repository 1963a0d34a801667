// Whose persist time a run takes: --persist <d> or --no-persist (whichever came last) over the inventory's persist.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPersistMs } from '../../../src/commands/persist-time.ts';

test("without a flag the inventory's persist applies; unset there, connections end with the run", () => {
  assert.equal(runPersistMs(undefined, { persistMs: 30_000 }), 30_000);
  assert.equal(runPersistMs(undefined, {}), undefined);
});

test("--persist <d> wins over the inventory's persist, and applies without one", () => {
  assert.equal(runPersistMs(5_000, { persistMs: 30_000 }), 5_000);
  assert.equal(runPersistMs(5_000, {}), 5_000);
});

test("--no-persist turns the inventory's persist off for the run", () => {
  assert.equal(runPersistMs(false, { persistMs: 30_000 }), undefined);
  assert.equal(runPersistMs(false, {}), undefined);
});
