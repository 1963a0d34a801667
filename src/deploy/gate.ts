// The gate after every start, restart and switch (docs/deploy.md, "The gate"): the programs are RUNNING past
// startsecs, still RUNNING with the same PIDs a moment later, and the app's health check passes on the host.
import type { HealthCheck } from '../health/kinds.ts';
import type { HostSession, ProbeResult } from '../host/session.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { lastLogLines } from '../supervisor/log-tail.ts';
import { qualifiedName, waitForGroup } from '../supervisor/wait.ts';

export interface Gate {
  /** How long programs may take to reach RUNNING past startsecs (supervisord's retries included). */
  startTimeoutMs: number;
  /** How long they must then stay RUNNING with the same PIDs. */
  settleMs: number;
  healthcheck?: HealthCheck | undefined;
}

/** For programs Convoy knows nothing about (no task file describes their app). */
export const defaultGate = { startTimeoutMs: 60_000, settleMs: 1000 } as const satisfies Gate;

export type GateResult =
  /** `processes`: what passed, as supervisord reported them (the deploy record keeps their pids and start times). */
  | { ok: true; processes: ProcessInfo[] }
  | { ok: false; step: 'wait for RUNNING' | 'health check'; problem: string; failing: string[] };

/** Checks `group` (or only the processes named in `only`, `group:name`) against the gate. */
export async function passGate(
  session: HostSession,
  client: SupervisorClient,
  group: string,
  gate: Gate,
  options: { only?: ReadonlySet<string> | undefined; onHealthCheck?: (target: string) => void } = {},
): Promise<GateResult> {
  const { only, onHealthCheck } = options;
  const { healthcheck } = gate;
  // The health check runs while the settle window does, not after it: a batch waits for the longer of the two.
  let probing: Promise<ProbeResult> | undefined;
  const onRunning = () => {
    if (!healthcheck) return;
    onHealthCheck?.(healthcheck.target);
    probing = session.probe(healthcheck);
    // Judged after the settle; a gate that fails there never reads it.
    probing.catch(() => undefined);
  };
  const waitOptions = { timeoutMs: gate.startTimeoutMs, settleMs: gate.settleMs, only, onRunning };
  const settled = await waitForGroup(client, group, waitOptions);
  if (!settled.ok) {
    const failing = settled.failing.map(qualifiedName);
    const why = await stderrOf(client, failing);
    return { ok: false, step: 'wait for RUNNING', problem: `${settled.problem}${why}`, failing };
  }
  if (!healthcheck) return { ok: true, processes: settled.processes };
  const probe = await (probing ?? session.probe(healthcheck));
  if (probe.ok) return { ok: true, processes: settled.processes };
  const seconds = Math.round(healthcheck.timeoutMs / 1000);
  return {
    ok: false,
    step: 'health check',
    problem: `${healthcheck.target} did not pass within ${seconds}s: ${probe.detail}`,
    failing: settled.processes.map(qualifiedName),
  };
}

/**
 * The cause a FATAL or EXITED state hides ("Exited too quickly"): the last stderr lines of the first failing
 * process, as `; stderr of app:worker: a / b / c`, nothing when it wrote none, or why its log could not be read.
 */
async function stderrOf(client: SupervisorClient, failing: readonly string[]): Promise<string> {
  const first = failing[0];
  if (first === undefined) return '';
  const [tail] = await lastLogLines(client, first, ['stderr'], 3);
  if (tail === undefined) return '';
  if ('unreadable' in tail) return `; the stderr of ${first} could not be read: ${tail.unreadable}`;
  return tail.lines.length > 0 ? `; stderr of ${first}: ${tail.lines.join(' / ')}` : '';
}
