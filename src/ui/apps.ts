// The apps' side of a host's view: for each group that is an app tasks/ describes, the release `current` points to
// and the last deploy, from the host's deploy record (one read-only round trip per app).
import { appStateCommand, parseAppState } from '../deploy/app-state.ts';
import type { AppView } from './model.ts';
import { appView } from './model.ts';

/** What reading an app's state needs of a host session (HostSession is one). */
export interface StepRunner {
  run(step: string, script: string): Promise<string>;
}

/** Reads the app views of `groups` on one host; `roots` gives each known app's root (groups of no app have none). */
export async function readAppViews(
  session: StepRunner,
  roots: ReadonlyMap<string, string>,
  groups: readonly string[],
): Promise<Record<string, AppView>> {
  const apps: Record<string, AppView> = {};
  for (const group of groups) {
    const root = roots.get(group);
    if (root === undefined) continue;
    apps[group] = appView(parseAppState(await session.run('read the deploy record', appStateCommand(root))));
  }
  return apps;
}
