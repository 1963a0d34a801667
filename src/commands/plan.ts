// `convoy plan [target] [app…]`: per host, exactly what differs from what the task files would deploy, changing
// nothing (docs/command-line.md, "convoy plan"). Two round trips per host: one read (drift-read.ts), one
// system.multicall of getAllProcessInfo and reloadConfig (which re-reads the confs and applies nothing).
import { appSpecFor } from '../deploy/app-spec.ts';
import { artifactDigest } from '../deploy/artifact.ts';
import type { ConfSecrets } from '../deploy/confgen.ts';
import { groupProcesses } from '../deploy/record.ts';
import type { Finding, HostRelease, SupervisordNow } from '../deploy/drift.ts';
import {
  appFindings,
  mixedReleases,
  orphanFindings,
  rereadFinding,
  supervisordNow,
  wantedOn,
} from '../deploy/drift.ts';
import type { HostRead, PlannedApp } from '../deploy/drift-read.ts';
import { readHostForPlan } from '../deploy/drift-read.ts';
import { releaseFilesFor } from '../deploy/release-files.ts';
import { renderConf } from '../deploy/render-conf.ts';
import type { HostSession } from '../host/session.ts';
import { runOnSessions } from '../host/fleet.ts';
import type { RoundTrips } from '../host/round-trips.ts';
import type { HostConfig } from '../inventory/types.ts';
import { resolveTarget } from '../inventory/index.ts';
import { exitCodeFor } from '../orchestration/run-on-hosts.ts';
import type { Output } from '../output/output.ts';
import { showPlan } from '../output/views/plan.ts';
import type { SupervisorLayout } from '../supervisor/layout.ts';
import type { AppTarget } from './deploy-context.ts';
import { artifactSource, loadDeployContext } from './deploy-context.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet } from './fleet-context.ts';

export interface PlanCommandOptions extends FleetContextOptions {
  target: string;
  apps: readonly string[];
  /** `--diff`: each differing conf's diff, values of `environment=` and secrets hidden. */
  diff: boolean;
  output: Output;
}

/** What one host said: its findings, the release each app runs there, and the round trips it took. */
export interface HostPlanRead {
  findings: Finding[];
  releases: (HostRelease & { app: string })[];
  roundTrips: RoundTrips;
}

// One round trip: the processes, and what supervisord would change if told to (reloadConfig applies nothing).
const supervisordCalls = [
  { method: 'supervisor.getAllProcessInfo', params: [] },
  { method: 'supervisor.reloadConfig', params: [] },
];

interface PlanInputs {
  targets: readonly AppTarget[];
  digests: ReadonlyMap<string, string>;
  /** Every app of the task files: a marked conf of any other is orphaned. */
  known: ReadonlySet<string>;
  now: Date;
}

/** The findings of each app that runs on this host. */
function appsOnHost(
  host: HostConfig,
  inputs: PlanInputs,
  read: HostRead,
  layout: SupervisorLayout,
  now: SupervisordNow,
) {
  const findings: Finding[] = [];
  const releases: HostPlanRead['releases'] = [];
  for (const t of inputs.targets.filter((x) => x.hosts.includes(host))) {
    const name = t.app.spec.name;
    const state = read.apps.get(name);
    if (!state) throw new Error(`${host.name}: the read said nothing of app ${name}`);
    const source = {
      name,
      root: appSpecFor(t.app.spec, host).root,
      artifactSha256: inputs.digests.get(name) ?? '',
      releaseFiles: releaseFilesFor(t.app.spec, host, t.templates, t.secrets),
      secrets: t.secrets,
      renderConf: (release: string, secrets?: ConfSecrets) =>
        renderConf(t.app.spec, host, release, t.confFiles, secrets),
    };
    const wanted = wantedOn(source, state, inputs.now);
    const processes = groupProcesses(now.processes, name);
    const confPath = `${layout.includeDir}/${name}${layout.includeExtension}`;
    const conf = read.confs.has(name) ? (read.confs.get(name) ?? null) : undefined;
    findings.push(
      ...appFindings(host.name, name, { state, confPath, conf, processes, pending: now.pending.get(name) }, wanted),
    );
    releases.push({ app: name, host: host.name, current: state.current, wanted: state.current === wanted.release });
  }
  return { findings, releases };
}

async function planHost(session: HostSession, host: HostConfig, inputs: PlanInputs): Promise<HostPlanRead> {
  const here = inputs.targets.filter((t) => t.hosts.includes(host));
  const planned: PlannedApp[] = here.map((t) => ({
    name: t.app.spec.name,
    root: appSpecFor(t.app.spec, host).root,
    hasSecrets: t.secrets.length > 0,
  }));
  const { read, layout } = await readHostForPlan(session, planned);
  const now = supervisordNow(session.name, await session.supervisorAt(layout).multicall(supervisordCalls));
  const { findings, releases } = appsOnHost(host, inputs, read, layout, now);
  findings.push(...rereadFinding(host.name, now), ...orphanFindings(host.name, read.listing, inputs.known));
  return { findings, releases, roundTrips: { ...session.roundTrips } };
}

export async function planCommand(options: PlanCommandOptions): Promise<number> {
  const context = await loadDeployContext(options, options.target, options.apps);
  const digests = new Map(
    await Promise.all(
      context.targets.map(
        async (t) => [t.app.spec.name, await artifactDigest(artifactSource(t, options.cwd))] as const,
      ),
    ),
  );
  const inputs: PlanInputs = {
    targets: context.targets,
    digests,
    known: new Set(context.tasks.apps.map((a) => a.spec.name)),
    now: new Date(),
  };
  const hosts = resolveTarget(context.inventory, options.target);
  const fleet = openFleet(options, context.inventory);
  try {
    const concurrency = options.globals.concurrency ?? defaultConcurrency;
    const { outcomes, summary } = await runOnSessions(fleet, hosts, { concurrency }, async (session, host) => ({
      value: await planHost(session, host, inputs),
      ok: true,
    }));
    const findings = outcomes.flatMap((o) => o.value?.findings ?? []);
    for (const t of context.targets) {
      const releases = outcomes.flatMap((o) => o.value?.releases ?? []).filter((r) => r.app === t.app.spec.name);
      const mixed = mixedReleases(t.app.spec.name, releases);
      if (mixed) findings.push(mixed);
    }
    const exitCode = exitCodeFor(summary, { notRunning: findings.length > 0 });
    const countRoundTrips = options.env.CONVOY_COUNT_ROUND_TRIPS === '1';
    showPlan(options.output, { findings, outcomes, summary, exitCode, diff: options.diff, countRoundTrips });
    return exitCode;
  } finally {
    await fleet.close();
  }
}
