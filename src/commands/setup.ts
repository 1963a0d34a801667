// `convoy setup <target>`: make every host ready for Convoy (Supervisor installed, socket group, running); idempotent.
import type { Output } from '../output/output.ts';
import { runOnSessions } from '../host/fleet.ts';
import { setupHost } from '../host/setup.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import { showSetup } from '../output/views/setup.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget } from './fleet-context.ts';
import { journalOutcomes } from './run-journal.ts';

export interface SetupCommandOptions extends FleetContextOptions {
  target: string;
  output: Output;
}

export async function setupCommand(options: SetupCommandOptions): Promise<number> {
  const { inventory, hosts } = loadTarget(options, options.target);
  options.journal?.begin({ command: 'setup', target: options.target, hosts: hosts.map((h) => h.name) });
  const fleet = openFleet(options, inventory);
  const out = options.output;
  try {
    const { outcomes, summary } = await runOnSessions(
      fleet,
      hosts,
      { concurrency: options.globals.concurrency ?? defaultConcurrency, onOutcome: journalOutcomes(options.journal) },
      async (session) => ({
        value: await setupHost(session),
        ok: true,
      }),
    );
    const exitCode = exitCodeFor(summary);
    showSetup(out, outcomes, summary, exitCode);
    return exitCode;
  } finally {
    await fleet.close();
  }
}
