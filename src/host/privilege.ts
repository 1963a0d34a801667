// "Run this as root": the one privilege policy, for every command and step that needs it.
import { NeedsRootError } from './errors.ts';

/** Who a host logs in as, and whether the inventory lets Convoy use sudo there (`sudo = true`). */
export interface PrivilegeHost {
  name: string;
  user: string;
  sudo: boolean;
}

/**
 * Why root is wanted:
 * - `required`: a step of Convoy's own (writing a conf, installing Supervisor): refused unless the login is root or
 *   the inventory says `sudo = true`, so that Convoy never escalates where it was not told it may.
 * - `requested`: the user asked for it by name (`exec --sudo`, a task's `sudo()`): sudo is tried whatever the
 *   inventory says, and sudo's own refusal is the answer.
 * - `preferred`: as root where the inventory allows it, else as the login (reaching supervisord's socket through
 *   the exec relay, which a login in group supervisor may use too).
 */
export type RootNeed = 'required' | 'requested' | 'preferred';

/**
 * Whether `need` takes sudo on this host (false: run as the login, which is root or may not escalate for a
 * `preferred` need); throws NeedsRootError where a `required` step may not escalate.
 */
export function throughSudo(host: PrivilegeHost, need: RootNeed, step = 'a privileged step'): boolean {
  if (host.user === 'root') return false;
  if (host.sudo || need === 'requested') return true;
  if (need === 'preferred') return false;
  throw new NeedsRootError(host.name, step);
}
