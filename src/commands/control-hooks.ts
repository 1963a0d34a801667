// Batch hooks for `convoy restart` (docs/tasks.md, "batch hooks"): the apps the restart names by their group
// (`hello`, `hello:*`, `hello:web`) run their beforeBatch/afterBatch around each batch, as a deploy does: on this
// machine, or on each host of the batch in `<root>/current`, with CONVOY_RELEASE empty (a restart does not read
// which release runs). Nothing is reverted: a failing hook fails its hosts.
import { appSpecFor } from '../deploy/app-spec.ts';
import { batchHookEnv, hookCommand } from '../deploy/hooks.ts';
import { runLocalHook } from '../deploy/local-hook.ts';
import type { Fleet } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { BatchFailures } from '../orchestration/rolling.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';

export interface RestartHooksOptions {
  apps: ReadonlyMap<string, NormalisedApp>;
  programs: readonly string[];
  fleet: Fleet;
  /** The project: where hooks on this machine run. */
  cwd: string;
  timeoutMs: number;
  onLine: (hook: string, line: string) => void;
  onStep: (host: string, step: string, detail: string) => void;
}

/** The apps a restart names by their group that have batch hooks. */
export function appsWithBatchHooks(
  apps: ReadonlyMap<string, NormalisedApp>,
  programs: readonly string[],
): NormalisedApp[] {
  const groups = new Set(programs.map((p) => p.split(':')[0]));
  return [...apps.values()].filter((a) => groups.has(a.name) && (a.hooks.beforeBatch || a.hooks.afterBatch));
}

/** Runs one batch hook of every named app for `hosts`; the hosts it failed on, with why. */
export async function restartBatchHook(
  options: RestartHooksOptions,
  which: 'beforeBatch' | 'afterBatch',
  index: number,
  hosts: readonly HostConfig[],
): Promise<BatchFailures> {
  const failed = new Map<string, Error>();
  const fail = (host: string, error: unknown) =>
    failed.set(host, new Error(`${which} hook failed: ${(error as Error).message}`, { cause: error }));
  for (const app of appsWithBatchHooks(options.apps, options.programs)) {
    const hook = app.hooks[which];
    const targets = hosts.filter((h) => !failed.has(h.name));
    if (!hook || targets.length === 0) continue;
    if (hook.where === 'local') {
      const name = `${which} ${index + 1}`;
      for (const h of targets) options.onStep(h.name, `${app.name}: ${which}`, 'on this machine');
      const env = batchHookEnv(app.name, '', index + 1, targets);
      await runLocalHook(`${name} (on this machine)`, hook.command, {
        cwd: options.cwd,
        env,
        timeoutMs: options.timeoutMs,
        onLine: (line) => options.onLine(name, line),
      }).catch((error: unknown) => targets.forEach((h) => fail(h.name, error)));
      continue;
    }
    await Promise.all(
      targets.map(async (host) => {
        options.onStep(host.name, `${app.name}: ${which}`, `batch ${index + 1}`);
        const spec = appSpecFor(app, host);
        const script = hookCommand(spec, spec.hooks[which] ?? 'true', `${app.root}/current`, '', {
          CONVOY_BATCH: `${index + 1}`,
        });
        await options.fleet
          .session(host)
          .then((session) => session.run(`${which} hook`, script))
          .catch((error: unknown) => fail(host.name, error));
      }),
    );
  }
  return failed;
}
