// `--lock-wait <duration>` (deploy, rollback, remove, start/stop/restart): the wait for an app lock held by a live
// owner, said once per host with who holds it, and ended by the run's Ctrl-C.
import type { LockWait } from '../deploy/lock.ts';
import { describeOwner } from '../deploy/lock.ts';
import { formatMs } from '../units/duration.ts';
import type { Interruption } from './interruption.ts';

/** The wait of `--lock-wait` (undefined without it: a held lock refuses at once); `say` tells one host's wait. */
export function lockWaitOf(
  ms: number | undefined,
  interruption: Interruption | undefined,
  say: (host: string, app: string, text: string) => void,
): LockWait | undefined {
  if (ms === undefined) return undefined;
  return {
    ms,
    stopped: interruption?.promise,
    onWait: (host, app, owner) =>
      say(host, app, `waiting up to ${formatMs(ms)} for the lock held by ${describeOwner(owner)}`),
  };
}
