// Fan-out for one app of a deploy (docs/deploy.md, "Fan-out"): the width from --fanout, the app or the inventory,
// and its end: the run's keys removed from every host, and a note of where the hosts' copies came from.
import type { PreparedArtifact } from '../deploy/artifact.ts';
import { Fanout, fanoutWidth } from '../deploy/fanout.ts';
import type { LockOwner } from '../deploy/lock.ts';
import type { Reporter } from '../output/events.ts';
import type { AppTarget } from './deploy-context.ts';

/** The app's fan-out for this deploy, or undefined when it uploads from this machine only (width 0, unset). */
export function fanoutFor(
  flag: number | undefined,
  t: AppTarget,
  owner: LockOwner,
  artifact: PreparedArtifact | undefined,
  report: (host: string, step: string, detail?: string) => void,
): Fanout | undefined {
  const width = fanoutWidth(flag, t.app.spec.fanout, t.hosts);
  if (!width || !artifact || t.hosts.length < 2) return undefined;
  return new Fanout({ width, artifactBytes: artifact.bytes, machine: owner.machine, pid: owner.pid, report });
}

/** Removes the run's keys (idempotent: staging's end and the run's end both call it); says where copies came from. */
export async function endFanout(fanout: Fanout | undefined, reporter: Reporter, summary: boolean): Promise<void> {
  if (!fanout) return;
  const left = await fanout.cleanup();
  for (const problem of left) reporter.event({ type: 'note', text: `fan-out key left on ${problem}` });
  if (!summary) return;
  const served = [...fanout.served.values()];
  const direct = served.filter((s) => s.kind === 'controller').length;
  reporter.event({
    type: 'note',
    text: `fan-out: this machine sent ${direct} cop${direct === 1 ? 'y' : 'ies'}, ${served.length - direct} host(s) got theirs from another host`,
  });
}
