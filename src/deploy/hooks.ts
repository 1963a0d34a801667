// Hooks run on the host in a release directory, with the app, release and root in the environment (docs/tasks.md).
import { shellQuote } from '../shell/quote.ts';
import type { DeployAppSpec } from './app-spec.ts';

/** `command` is already rendered for the host (values as quoted words); it runs through `sh -c` in `dir`. */
export function hookCommand(app: DeployAppSpec, command: string, dir: string, release: string): string {
  const env = `CONVOY_APP=${shellQuote(app.name)} CONVOY_RELEASE=${shellQuote(release)} CONVOY_ROOT=${shellQuote(app.root)}`;
  return `cd ${shellQuote(dir)} && ${env} sh -c ${shellQuote(command)}`;
}
