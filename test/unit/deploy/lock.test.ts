// `--lock-wait`: a lock held by a live owner is looked at again (1 s, growing to 2 s, bounded by the wait) until it is
// free, the wait is over or Ctrl-C ends it; without a wait, one look, as before. Said once per host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LockLook, LockWait, WaitClock } from '../../../src/deploy/lock.ts';
import { LockHeldError, lockPollDelay, lookUntilFree, newLockOwner, takeLock } from '../../../src/deploy/lock.ts';

/** A clock that moves only when slept on, recording each sleep. */
function fakeClock(): WaitClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const owner = JSON.stringify({ ...newLockOwner('convoy deploy web hello'), user: 'alice', machine: 'ci-7' });
const where = { host: 'web1', app: 'hello' };

/** Looks that see the lock held `heldFor` times, then free. */
function looks(heldFor: number): { look: () => Promise<LockLook<string>>; count: () => number } {
  let n = 0;
  return {
    look: async () => (++n <= heldFor ? { held: true, owner } : { held: false, value: 'read' }),
    count: () => n,
  };
}

test('the pause between looks: 1s, 1.5s, then 2s, never past what is left of the wait', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 9].map((n) => lockPollDelay(n, 60_000)),
    [1000, 1500, 2000, 2000, 2000],
  );
  assert.equal(lockPollDelay(3, 300), 300);
});

test('without --lock-wait a held lock is one look; with it, the run looks again until the lock is free', async () => {
  const once = looks(1);
  assert.deepEqual(await lookUntilFree(where, once.look, undefined, fakeClock()), { owner });
  assert.equal(once.count(), 1);

  const clock = fakeClock();
  const told: string[] = [];
  const wait: LockWait = { ms: 120_000, onWait: (host, app, line) => told.push(`${host} ${app} ${line}`) };
  const later = looks(3);
  assert.deepEqual(await lookUntilFree(where, later.look, wait, clock), { value: 'read' });
  assert.deepEqual(clock.slept, [1000, 1500, 2000]);
  assert.deepEqual(told, [`web1 hello ${owner}`], 'said once, however many looks');
});

test('a wait that runs out ends with the holder and how long it waited; Ctrl-C ends it at once', async () => {
  const clock = fakeClock();
  const out = await lookUntilFree(where, looks(100).look, { ms: 3000 }, clock);
  assert.deepEqual(out, { owner, waited: { ms: 3000, interrupted: false } });
  assert.deepEqual(clock.slept, [1000, 1500, 500]);

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const never: WaitClock = { now: () => 0, sleep: () => new Promise(() => {}) };
  const pending = lookUntilFree(where, looks(100).look, { ms: 60_000, stopped }, never);
  stop();
  assert.deepEqual(await pending, { owner, waited: { ms: 0, interrupted: true } });
});

test('the refusal names the holder, and says whether and how long the run waited', () => {
  const now = new LockHeldError('web1', 'hello', owner).message;
  assert.match(now, /^web1: hello is locked by alice@ci-7 \(pid \d+\) since .* running `convoy deploy web hello`/);
  assert.match(now, /or use --lock-wait/);
  const waited = new LockHeldError('web1', 'hello', owner, { ms: 2500, interrupted: false }).message;
  assert.match(waited, /locked by alice@ci-7 .* \(still held after waiting 2\.5s, --lock-wait\); wait longer/);
  const stopped = new LockHeldError('web1', 'hello', owner, { ms: 800, interrupted: true }).message;
  assert.match(stopped, /stopped waiting for it after 0\.8s: interrupted/);
});

test('takeLock: --force-unlock only on the first try; a root with nothing to lock is free; a holder refuses', async () => {
  const forces: boolean[] = [];
  const held = `convoy-lock: HELD\n${owner}\n`;
  const said = await takeLock(
    where,
    async (force) => {
      forces.push(force);
      return forces.length === 1 ? held : 'convoy-lock: LOCKED\nstate';
    },
    { force: true, wait: { ms: 10_000 }, clock: fakeClock() },
  );
  assert.equal(said, 'convoy-lock: LOCKED\nstate');
  assert.deepEqual(forces, [true, false]);
  assert.equal(
    await takeLock(where, async () => 'absent', { force: false, nothingToLock: (s) => s === 'absent' }),
    'absent',
  );
  await assert.rejects(
    takeLock(where, async () => held, { force: false }),
    LockHeldError,
  );
});
