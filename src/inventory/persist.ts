// `persist` of [defaults]: a team turns `--persist` on for everyone who uses the inventory (issue 19), as Ansible's
// ControlPersist is set once in ansible.cfg. It is the run's, not a host's (one background process serves the whole
// fleet), so [defaults] only, and never a variable.
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';

/** The inventory key. */
export const persistKey = 'persist';

/** `--persist` and `persist` accept the same durations: above 0, at most an hour (as connect_timeout). */
export const persistRange: DurationRange = { max: 3_600_000 };

/** `persist = 60s`: milliseconds; `persist = no`: off (undefined, as when unset); else why not. */
export function parsePersist(raw: string): { value: number | undefined } | { error: string } {
  if (raw.trim().toLowerCase() === 'no') return { value: undefined };
  const ms = parseDuration(raw, persistRange);
  if (ms === undefined) return { error: `'${raw}' is not valid (expected no, or ${expectedDuration(persistRange)})` };
  return { value: ms };
}
