// "Run this as root": the one privilege policy, for every command and step that needs it.
import { withSudo } from '../shell/quote.ts';
import { scriptShell } from '../shell/script.ts';
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
 * - `requested`: the user asked for it by name (`exec --sudo`, a task's `sudo()`): `sudo -n` is tried whatever the
 *   inventory says, and sudo's own refusal is the answer.
 * - `preferred`: as root where the inventory allows it, else as the login (reaching supervisord's socket through
 *   the exec relay, which a login in group supervisor may use too).
 */
export type RootNeed = 'required' | 'requested' | 'preferred';

/** `command` as the policy runs it for `need`: unchanged for a root login, through `sudo -n` when allowed. */
export function asRoot(host: PrivilegeHost, command: string, need: RootNeed, step = 'a privileged step'): string {
  if (host.user === 'root') return command;
  if (host.sudo || need === 'requested') return withSudo(command);
  if (need === 'preferred') return command;
  throw new NeedsRootError(host.name, step);
}

/** The shell that reads a step's script on stdin (`sh -s`), as root when `need` says so: the policy of `asRoot`. */
export function shellFor(host: PrivilegeHost, need: RootNeed | undefined, step = 'a privileged step'): string {
  if (need === undefined || host.user === 'root') return scriptShell;
  if (host.sudo || need === 'requested') return `sudo -n -- ${scriptShell}`;
  if (need === 'preferred') return scriptShell;
  throw new NeedsRootError(host.name, step);
}
