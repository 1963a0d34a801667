// Opening an app on a host over its session: supervisord with its layout, then the HostDeploy that drives the steps.
import type { Fleet } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { ResolvedSecrets } from '../secrets/values.ts';
import type { DeployAppSpec } from './app-spec.ts';
import type { ConfSecrets } from './confgen.ts';
import type { PreparedArtifact } from './artifact.ts';
import type { Fanout } from './fanout.ts';
import type { PreReads } from './pre-read.ts';
import type { AppOnHost } from './host-deploy.ts';
import { HostDeploy } from './host-deploy.ts';
import type { LockOwner, LockWait } from './lock.ts';
import type { ReleaseFiles } from './release-files.ts';

export interface OpenAppOptions {
  fleet: Fleet;
  /** The app as each host runs it (templates rendered with the host's values). */
  appFor: (host: HostConfig) => DeployAppSpec;
  renderConf: (host: HostConfig, release: string, secrets?: ConfSecrets) => string;
  /** The app's secrets, read once for the run (absent: none). */
  secrets?: ResolvedSecrets | undefined;
  /** Shared paths and templates rendered for each host (absent: none). */
  releaseFilesFor?: ((host: HostConfig) => ReleaseFiles) | undefined;
  /** Absent for a rollback. */
  artifact?: PreparedArtifact | undefined;
  owner: LockOwner;
  forceUnlock: boolean;
  /** `--lock-wait` (absent: a held lock refuses at once). */
  lockWait?: LockWait | undefined;
  /** Hosts worked on at once (they share one bounded upload window). */
  concurrency: number;
  hostCount: number;
  /** For the deploy record: what the run does, and the task repository's commit. */
  action?: 'deploy' | 'rollback' | undefined;
  commit?: string | undefined;
  dirty?: boolean | undefined;
  onStep?: ((host: string, app: string, step: string, detail?: string) => void) | undefined;
  /** Fan-out uploads: each host is swept of ended runs' keys when first opened (docs/deploy.md, "Fan-out"). */
  fanout?: Fanout | undefined;
  /** A deploy's pre-lock reads, kept by the ownership pass and taken by the run (src/deploy/pre-read.ts). */
  preReads?: PreReads | undefined;
  /** The ownership pass: the first read of each host, which may read supervisord.conf with it (never the run pass). */
  firstRead?: boolean | undefined;
}

/** The engine's `open`: one HostDeploy per host, over the host's one session. */
export function appOpener(options: OpenAppOptions): (host: HostConfig) => Promise<AppOnHost> {
  return async (host) => {
    const session = await options.fleet.session(host);
    await options.fanout?.sweep(session);
    // A deploy's first read on the host reads supervisord.conf too, on the usual layout's guess (docs/deploy.md,
    // "Round trips"); otherwise no probe: the deploy's first call finds the way to the socket.
    const guess = options.firstRead && options.preReads && !session.layoutRead ? session.layoutGuess() : undefined;
    const supervisor = guess?.client ?? (await session.laidOutSupervisor({ probe: false }));
    const app = options.appFor(host);
    return new HostDeploy({
      session,
      supervisor,
      findConf: guess?.findConf,
      app,
      artifact: options.artifact,
      renderConf: (release, secrets) => options.renderConf(host, release, secrets),
      secrets: options.secrets,
      releaseFiles: options.releaseFilesFor?.(host),
      owner: options.owner,
      forceUnlock: options.forceUnlock,
      lockWait: options.lockWait,
      report: (step, detail) => options.onStep?.(host.name, app.name, step, detail),
      hostsAtOnce: Math.min(options.hostCount, options.concurrency),
      action: options.action,
      commit: options.commit,
      dirty: options.dirty,
      fanout: options.fanout,
      preReads: options.preReads,
    });
  };
}
