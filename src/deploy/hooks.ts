// Hooks run on the host in a release directory, with the app, release and root in the environment (docs/tasks.md).
import { shellQuote } from '../shell/quote.ts';
import type { DeployAppSpec } from './app-spec.ts';

/**
 * The script of a hook: `command` is already rendered for the host (values as quoted words) and runs in a subshell
 * in `dir`, inside the step's script (on stdin): never in an argv that `ps` would show. The step fails with the
 * hook's exit status; lines after this script run only when it succeeded.
 */
export function hookCommand(app: DeployAppSpec, command: string, dir: string, release: string): string {
  return [
    `cd ${shellQuote(dir)} || exit 1`,
    `CONVOY_APP=${shellQuote(app.name)} CONVOY_RELEASE=${shellQuote(release)} CONVOY_ROOT=${shellQuote(app.root)}`,
    'export CONVOY_APP CONVOY_RELEASE CONVOY_ROOT',
    // stdin is the rest of the step's script: a hook that reads stdin would eat it.
    '(',
    command,
    ') </dev/null || exit $?',
  ].join('\n');
}
