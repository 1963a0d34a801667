// `convoy plan`: what differs between the hosts and what the task files would deploy (docs/command-line.md,
// "convoy plan"), as values. Pure: the host's state comes in read (src/deploy/drift-read.ts), with supervisord's
// processes and what it has re-read but not applied (`reloadConfig`, which applies nothing).
import type { ResolvedSecrets } from '../secrets/values.ts';
import { secretVersion } from '../secrets/values.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { toProcessInfo } from '../supervisor/process-info.ts';
import type { MulticallResult, XmlRpcValue } from '../supervisor/xmlrpc-values.ts';
import { confDiffWithoutValues } from './conf-diff.ts';
import type { ConfSecrets } from './confgen.ts';
import { describeOwner } from './lock.ts';
import type { IncludeDirListing } from './orphans.ts';
import { orphaned } from './orphans.ts';
import type { RunningProcess } from './record.ts';
import { verifiedAndRunning } from './record.ts';
import type { ReleaseFiles } from './release-files.ts';
import { releaseContentHash } from './release-files.ts';
import { chooseRelease } from './releases.ts';
import type { RemoteState } from './remote-state.ts';
import { SecretsOnHost, newSecretsKey, secretsPaths } from './secrets-on-host.ts';

export type DriftKind =
  'release' | 'conf' | 'pending' | 'not-running' | 'restarted' | 'lock' | 'mixed-releases' | 'orphan';

/** One difference: on a host (`host: '-'` for one about an app's hosts together), for an app (`'-'`: none). */
export interface Finding {
  host: string;
  app: string;
  kind: DriftKind;
  text: string;
  /** The conf diff without values (src/deploy/conf-diff.ts), for a `conf` finding. */
  diff?: string | undefined;
}

/** What the task files say of an app on one host, before its state is known. */
export interface AppSource {
  name: string;
  root: string;
  /** The artifact's identity (src/deploy/artifact.ts, `artifactDigest`). */
  artifactSha256: string;
  releaseFiles?: ReleaseFiles | undefined;
  secrets: ResolvedSecrets;
  renderConf: (release: string, secrets?: ConfSecrets) => string;
}

/** The release and conf a deploy would put on the host now, as deploy computes them (src/deploy/host-deploy.ts). */
export interface Wanted {
  release: string;
  /** That release is on the host already. */
  existing: boolean;
  conf: string;
}

export function wantedOn(source: AppSource, state: RemoteState, now: Date): Wanted {
  // A host without a key never had this app's secrets deployed: any key renders what a first deploy would.
  const key = source.secrets.length > 0 ? (state.secretsKey ?? newSecretsKey()) : '';
  const versions = new Map(source.secrets.map((s) => [s.name, secretVersion(key, s)]));
  const sha = releaseContentHash(source.artifactSha256, source.releaseFiles, versions);
  const { release, existing } = chooseRelease(state, sha, now);
  const confSecrets =
    source.secrets.length > 0
      ? new SecretsOnHost(secretsPaths(source.root), key, source.secrets).forConf(new Map())
      : undefined;
  return { release, existing, conf: source.renderConf(release, confSecrets) };
}

/** An app on a host as read: its root's state, its conf (undefined: none; null: unreadable), its processes. */
export interface AppNow {
  state: RemoteState;
  confPath: string;
  conf: string | null | undefined;
  processes: readonly RunningProcess[];
  /** What supervisord has re-read for the app's group and not applied. */
  pending?: PendingChange | undefined;
}

export type PendingChange = 'added' | 'changed' | 'removed';

const changedLines = (diff: string) =>
  diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l)).length;

function confFinding(now: AppNow, wanted: Wanted): { text: string; diff?: string } | undefined {
  if (now.conf === undefined) return { text: `${now.confPath} is missing` };
  if (now.conf === null) return { text: `${now.confPath} cannot be read here (set sudo = true for this host)` };
  if (now.conf === wanted.conf) return undefined;
  const diff = confDiffWithoutValues(now.confPath, now.conf, wanted.conf);
  return { text: `${now.confPath} differs from what the tasks render (${changedLines(diff)} lines)`, diff };
}

const pendingText: Record<PendingChange, (app: string, confPath: string) => string> = {
  added: (app, conf) => `supervisord has read ${conf} but group ${app} is not added`,
  changed: (app, conf) => `supervisord has read a changed ${conf}, not applied to group ${app}`,
  removed: (app) => `group ${app} runs, but its conf is gone`,
};

/** Everything that differs for one app on one host. */
export function appFindings(host: string, app: string, now: AppNow, wanted: Wanted): Finding[] {
  const found: Finding[] = [];
  const add = (kind: DriftKind, text: string, diff?: string) =>
    found.push({ host, app, kind, text, ...(diff ? { diff } : {}) });
  const { current, lockOwner } = now.state;
  if (lockOwner) add('lock', `locked by ${describeOwner(lockOwner)}`);
  if (current === undefined) add('release', `not deployed: the tasks would deploy ${wanted.release}`);
  else if (current !== wanted.release) {
    add(
      'release',
      `runs ${current}, the tasks would deploy ${wanted.release}${wanted.existing ? ' (on the host)' : ''}`,
    );
  }
  const deployed = current !== undefined || now.conf !== undefined;
  const conf = deployed ? confFinding(now, wanted) : undefined;
  if (conf) add('conf', conf.text, conf.diff);
  if (now.pending) add('pending', pendingText[now.pending](app, now.confPath));
  for (const p of now.processes.filter((x) => x.statename !== 'RUNNING'))
    add('not-running', `${p.name} is ${p.statename}`);
  if (now.processes.length === 0 && now.conf && now.pending !== 'added') {
    add('not-running', `supervisord runs no process of group ${app}`);
  }
  if (found.some((f) => f.kind !== 'lock') || current === undefined) return found;
  // Release and conf as the tasks want them, every process RUNNING: still, were they verified, and run since?
  const verdict = verifiedAndRunning(now.state.record, current, wanted.conf, now.processes);
  if (!verdict.ok) add('restarted', verdict.reason);
  return found;
}

/** The groups `reloadConfig` (`[[added, changed, removed]]`) names, each with what is pending for it. */
export function pendingGroups(value: XmlRpcValue): Map<string, PendingChange> {
  const pending = new Map<string, PendingChange>();
  const [lists] = Array.isArray(value) ? value : [];
  if (!Array.isArray(lists)) return pending;
  const kinds: PendingChange[] = ['added', 'changed', 'removed'];
  for (const [i, kind] of kinds.entries()) {
    const groups = lists[i];
    if (Array.isArray(groups)) for (const g of groups) if (typeof g === 'string') pending.set(g, kind);
  }
  return pending;
}

/** What supervisord said to `[getAllProcessInfo, reloadConfig]`; a fault of the re-read is said, not thrown. */
export interface SupervisordNow {
  processes: ProcessInfo[];
  pending: Map<string, PendingChange>;
  rereadError?: string | undefined;
}

export function supervisordNow(host: string, answers: readonly MulticallResult[]): SupervisordNow {
  const [all, reread] = answers;
  if (!all) throw new Error(`${host}: supervisord answered no call`);
  if (!all.ok) throw all.fault;
  const processes = (Array.isArray(all.value) ? all.value : []).map(toProcessInfo);
  if (!reread?.ok) return { processes, pending: new Map(), rereadError: reread?.fault.message ?? 'no answer' };
  return { processes, pending: pendingGroups(reread.value) };
}

/** A host-wide finding for a re-read that failed (a conf supervisord cannot parse: nothing could be applied). */
export function rereadFinding(host: string, now: SupervisordNow): Finding[] {
  if (now.rereadError === undefined) return [];
  return [{ host, app: '-', kind: 'pending', text: `supervisord cannot re-read its confs: ${now.rereadError}` }];
}

/** Confs of apps no task file describes any more (`check <target>` lists the same). */
export function orphanFindings(host: string, listing: IncludeDirListing, known: ReadonlySet<string>): Finding[] {
  return orphaned(listing, known).map((c) => ({
    host,
    app: c.app,
    kind: 'orphan' as const,
    text: `${c.file}: no task file describes app ${c.app} (its programs still run: convoy remove)`,
  }));
}

/** One app's hosts, each with the release it runs and whether that is the one the tasks would deploy there. */
export interface HostRelease {
  host: string;
  current: string | undefined;
  wanted: boolean;
}

/**
 * Hosts of one app on different releases. A release is compared per host (templates and secrets make it per host):
 * hosts on the one the tasks would deploy count as one, the others by the release they run.
 */
export function mixedReleases(app: string, hosts: readonly HostRelease[]): Finding | undefined {
  const groups = new Map<string, string[]>();
  for (const h of hosts) {
    const label = h.wanted ? "the tasks' release" : (h.current ?? 'none');
    groups.set(label, [...(groups.get(label) ?? []), h.host]);
  }
  if (groups.size < 2) return undefined;
  const parts = [...groups].map(([label, names]) => `${label} on ${names.join(', ')}`);
  return { host: '-', app, kind: 'mixed-releases', text: `${groups.size} releases: ${parts.join('; ')}` };
}
