// `convoy check <target>`: besides the input checks, each host's include directory is read for orphaned confs
// (src/deploy/orphans.ts); any is exit 3, as a program not RUNNING is for `status`.
import type { MarkedConf } from '../deploy/orphans.ts';
import { listConfsCommand, orphaned, parseConfList } from '../deploy/orphans.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { HostSession } from '../host/session.ts';
import type { HostConfig, Inventory } from '../inventory/types.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import type { Output } from '../output/output.ts';
import { showOrphans } from '../output/views/orphans.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet } from './fleet-context.ts';

export interface HostConfs {
  orphans: MarkedConf[];
  unreadable: string[];
}

/** Reads the include directory as root where the inventory allows it (confs are root's 0640), else as the login. */
async function confsOn(session: HostSession, known: ReadonlySet<string>): Promise<HostConfs> {
  const { layout } = await session.laidOutSupervisor();
  const said = await session.script(
    'list confs',
    listConfsCommand(layout.includeDir, layout.includeExtension),
    'preferred',
  );
  const listing = parseConfList(said.stdout);
  return { orphans: orphaned(listing, known), unreadable: listing.unreadable };
}

export async function checkHosts(
  options: FleetContextOptions & { output: Output },
  { inventory, hosts }: { inventory: Inventory; hosts: readonly HostConfig[] },
  known: ReadonlySet<string>,
  extra: Record<string, unknown>,
): Promise<number> {
  const fleet = openFleet(options, inventory);
  try {
    const concurrency = options.globals.concurrency ?? defaultConcurrency;
    const { outcomes, summary } = await runOnSessions(fleet, hosts, { concurrency }, async (session) => ({
      value: await confsOn(session, known),
      ok: true,
    }));
    const orphans = outcomes.reduce((n, o) => n + (o.value?.orphans.length ?? 0), 0);
    const exitCode = exitCodeFor(summary, { notRunning: orphans > 0 });
    showOrphans(options.output, { outcomes, summary, exitCode, extra });
    return exitCode;
  } finally {
    await fleet.close();
  }
}
