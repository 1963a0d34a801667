// Hooks run on the host in a release directory, with the app, release and root in the environment (docs/tasks.md);
// batch hooks may run on this machine instead, with the batch in the environment.
import { shellQuote } from '../shell/quote.ts';
import type { DeployAppSpec } from './app-spec.ts';

/**
 * The script of a hook: `command` is already rendered for the host (values as quoted words) and runs in a subshell
 * in `dir`, inside the step's script (on stdin): never in an argv that `ps` would show. The step fails with the
 * hook's exit status; lines after this script run only when it succeeded. `extra` adds variables (CONVOY_BATCH).
 */
export function hookCommand(
  app: DeployAppSpec,
  command: string,
  dir: string,
  release: string,
  extra: Readonly<Record<string, string>> = {},
): string {
  const vars = { CONVOY_APP: app.name, CONVOY_RELEASE: release, CONVOY_ROOT: app.root, ...extra };
  return [
    `cd ${shellQuote(dir)} || exit 1`,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' '),
    `export ${Object.keys(vars).join(' ')}`,
    // stdin is the rest of the step's script: a hook that reads stdin would eat it.
    '(',
    command,
    ') </dev/null || exit $?',
  ].join('\n');
}

/** The hosts of a batch as a batch hook sees them, in batch order. */
export interface BatchHost {
  name: string;
  address: string;
}

/** The environment of a batch hook run on this machine: the batch (1-based), its hosts' names and addresses. */
export function batchHookEnv(app: string, release: string, batch: number, hosts: readonly BatchHost[]) {
  return {
    CONVOY_APP: app,
    CONVOY_RELEASE: release,
    CONVOY_BATCH: String(batch),
    CONVOY_BATCH_HOSTS: hosts.map((h) => h.name).join(' '),
    CONVOY_BATCH_ADDRESSES: hosts.map((h) => h.address).join(' '),
  };
}
