// How a restart reaches a group's processes when its app says so (docs/tasks.md, "reload" and "processRestart"):
// a signal instead of stop and start (graceful reloads: the processes keep their PIDs), or one process at a time so
// that a `numprocs` group is never all down (supervisorctl restarts every process of a group at once; Supervisor
// issue #456). The gate that follows judges the processes as after any restart.
import type { SupervisorClient } from './client.ts';
import { SupervisorFault } from './faults.ts';
import type { ProcessInfo } from './process-info.ts';
import { qualifiedName } from './process-info.ts';

export type RestartWay = { kind: 'signal'; signal: string } | { kind: 'one-at-a-time' };

/** The way an app's options name, or undefined for supervisord's own stop-then-start of the whole group. */
export function restartWayOf(app: {
  reload?: string | undefined;
  processRestart?: string | undefined;
}): RestartWay | undefined {
  if (app.reload) return { kind: 'signal', signal: app.reload };
  return app.processRestart === 'one-at-a-time' ? { kind: 'one-at-a-time' } : undefined;
}

/**
 * Restarts `processes` (of one group) the app's way; a process's failure goes into `errors` (by `group:name`), never
 * hides the others'. A process that is not running is started instead of signalled: it has nothing to reload.
 */
export async function restartInWay(
  client: SupervisorClient,
  processes: readonly ProcessInfo[],
  way: RestartWay,
  errors: Map<string, string>,
): Promise<void> {
  for (const p of processes) {
    const name = qualifiedName(p);
    try {
      if (way.kind === 'signal' && (await signalled(client, name, way.signal))) continue;
      // One at a time: the next one is stopped only once this one is RUNNING past its startsecs (wait = true).
      await client.stopProcess(name, true).catch(ignoreFault('NOT_RUNNING'));
      await client.startProcess(name, true);
    } catch (error) {
      errors.set(name, error instanceof Error ? error.message : String(error));
    }
  }
}

/** Signals a running process; false when it was not running (then it is started). */
async function signalled(client: SupervisorClient, name: string, signal: string): Promise<boolean> {
  try {
    await client.signalProcess(name, signal);
    return true;
  } catch (error) {
    if (error instanceof SupervisorFault && error.faultName === 'NOT_RUNNING') return false;
    throw error;
  }
}

function ignoreFault(faultName: string) {
  return (error: unknown) => {
    if (!(error instanceof SupervisorFault && error.faultName === faultName)) throw error;
    return false;
  };
}

/** How output says the way: `SIGHUP`, `one process at a time`. */
export function describeWay(way: RestartWay): string {
  return way.kind === 'signal' ? `SIG${way.signal}` : 'one process at a time';
}
