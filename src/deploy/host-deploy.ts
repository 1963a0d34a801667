// One app on one host, step by step: inspect, lock, stage (nothing live changes), switch, verify, revert, prune, unlock.
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { HostShell } from '../ssh/host-shell.ts';
import { RemoteStepError } from '../ssh/host-shell.ts';
import { shellQuote } from '../ssh/quote.ts';
import type { LaidOutSupervisor } from '../supervisor/open.ts';
import { waitForGroup } from '../supervisor/wait.ts';
import type { PreparedArtifact } from './artifact.ts';
import { unpackCommand } from './artifact.ts';
import { uploadChunkBytes, uploadChunksPerHost } from './upload-window.ts';
import type { GroupChange } from './apply-conf.ts';
import { applyGroup } from './apply-conf.ts';
import type { HealthCheck } from './health.ts';
import { healthCommand } from './health.ts';
import type { LockOwner } from './lock.ts';
import { LockHeldError, lockCommand, unlockCommand } from './lock.ts';
import { findReleaseWithHash, releaseHash, releaseId, releasesToPrune } from './releases.ts';
import type { AppPaths, RemoteState } from './remote-state.ts';
import { appPaths, inspectCommand, parseInspect } from './remote-state.ts';

export interface DeployAppSpec {
  name: string;
  root: string;
  keepReleases: number;
  /** Directories the programs need before supervisord reads the conf (their log directory). */
  logDir: string;
  hooks: { afterUpload?: string | undefined; beforeSwitch?: string | undefined; afterSwitch?: string | undefined };
  healthcheck?: HealthCheck | undefined;
  /** How long programs may take to reach RUNNING (past startsecs) after a restart. */
  startTimeoutMs: number;
  /** How long they must then stay RUNNING with the same PIDs. */
  settleMs: number;
}

export interface HostPlan {
  release: string;
  previousRelease: string | undefined;
  releaseChanged: boolean;
  /** The release directory already exists on the host (same content): nothing to upload or unpack. */
  releaseExists: boolean;
  uploadBytes: number;
  conf: string;
  previousConf: string | null;
  confChanged: boolean;
  state: RemoteState;
}

export interface SwitchOutcome {
  group: GroupChange;
  restarted: boolean;
}

export type StepReporter = (step: string, detail?: string) => void;

export class HostDeploy {
  readonly paths: AppPaths;
  private locked = false;

  constructor(
    private readonly shell: HostShell,
    readonly client: LaidOutSupervisor,
    readonly app: DeployAppSpec,
    private readonly artifact: PreparedArtifact | undefined,
    private readonly renderConf: (release: string) => string,
    private readonly report: StepReporter = () => {},
    /** Upload chunks in flight to this host (see upload-window.ts). */
    private readonly uploadChunks = uploadChunksPerHost(1),
  ) {
    this.paths = appPaths(app.root, client.layout.includeDir, app.name, client.layout.includeExtension);
  }

  get host(): string {
    return this.shell.host.name;
  }

  /** Reads the host's state and decides what this deploy does there; changes nothing. */
  async inspect(now: Date): Promise<HostPlan> {
    const artifact = this.requireArtifact();
    const state = await this.readState();
    const sha = artifact.sha256;
    const currentMatches =
      state.current !== undefined &&
      sha.startsWith(releaseHash(state.current) ?? '-') &&
      state.entries.includes(state.current);
    const existing = currentMatches ? state.current : findReleaseWithHash(state.entries, sha);
    const release = existing ?? releaseId(now, sha);
    return this.planFor(
      state,
      release,
      existing !== undefined,
      existing !== undefined || state.artifactCached ? 0 : artifact.bytes,
    );
  }

  /** The host's releases, current release, conf and lock, in one round trip. */
  async readState(): Promise<RemoteState> {
    return parseInspect(await this.shell.run('inspect', inspectCommand(this.paths, this.artifact?.cacheName ?? '')));
  }

  /** A plan that moves the host to an existing `release` (rollback). */
  planFor(state: RemoteState, release: string, releaseExists = true, uploadBytes = 0): HostPlan {
    const conf = this.renderConf(release);
    return {
      release,
      previousRelease: state.current,
      releaseChanged: release !== state.current,
      releaseExists,
      uploadBytes,
      conf,
      previousConf: state.conf,
      confChanged: conf !== state.conf,
      state,
    };
  }

  private requireArtifact(): PreparedArtifact {
    if (!this.artifact) throw new RemoteStepError(this.host, 'inspect', undefined, 'no artifact to deploy');
    return this.artifact;
  }

  /** Takes the app's lock (creating the app root, as root when the login cannot). */
  async lock(owner: LockOwner, force: boolean): Promise<void> {
    const root = shellQuote(this.app.root);
    const writable = await this.shell.connection.exec(`mkdir -p ${root} 2>/dev/null; test -w ${root}`);
    if (writable.code !== 0) {
      await this.shell.runAsRoot(
        `create ${this.app.root}`,
        `mkdir -p ${root} && chown ${shellQuote(this.shell.host.user)}: ${root}`,
      );
    }
    const out = await this.shell.run('lock', lockCommand(this.paths, owner, force));
    if (!out.startsWith('LOCKED')) throw new LockHeldError(this.host, this.app.name, out.split('\n')[1] ?? '');
    this.locked = true;
    await this.ensureLogDir();
  }

  /** supervisord refuses a conf whose log directory does not exist (CANT_REREAD), for every app on the host. */
  private async ensureLogDir(): Promise<void> {
    const dir = shellQuote(this.app.logDir);
    const made = await this.shell.connection.exec(`mkdir -p ${dir} 2>/dev/null; test -w ${dir}`);
    if (made.code !== 0)
      await this.shell.runAsRoot(
        `create ${this.app.logDir}`,
        `mkdir -p ${dir} && chown ${shellQuote(this.shell.host.user)}: ${dir}`,
      );
  }

  async unlock(owner: LockOwner, shell: HostShell = this.shell): Promise<void> {
    if (!this.locked) return;
    await shell.run('unlock', unlockCommand(this.paths, owner));
    this.locked = false;
  }

  get holdsLock(): boolean {
    return this.locked;
  }

  /**
   * Makes releases/<id> complete (upload only what the host lacks, unpack, afterUpload); nothing live changes. A
   * failure removes what it half-wrote and says when the host's disk is full.
   */
  async stage(plan: HostPlan): Promise<void> {
    if (plan.releaseExists) return;
    const artifact = this.requireArtifact();
    const cached = `${this.paths.cacheDir}/${artifact.cacheName}`;
    const partial = `${this.paths.releasesDir}/${plan.release}.partial`;
    try {
      await this.stageNow(plan, artifact, cached, partial);
    } catch (error) {
      if (this.shell.connection.closed) throw error;
      // Measured before the cleanup, which frees the space again.
      const explained = await this.explainFullDisk(error, artifact.bytes);
      await this.shell.connection
        .exec(`rm -f ${shellQuote(`${cached}.partial`)}; rm -rf ${shellQuote(partial)}`)
        .catch(() => undefined);
      throw explained;
    }
  }

  private async stageNow(plan: HostPlan, artifact: PreparedArtifact, cached: string, partial: string): Promise<void> {
    const { cacheDir, releasesDir } = this.paths;
    if (plan.uploadBytes > 0) {
      this.report('upload', `${(plan.uploadBytes / 1e6).toFixed(1)} MB`);
      const df = await this.shell.run(
        'prepare upload',
        `mkdir -p ${shellQuote(cacheDir)} ${shellQuote(releasesDir)} && df -Pk ${shellQuote(cacheDir)} | tail -n 1`,
      );
      const free = freeBytes(df);
      if (free !== undefined && free < plan.uploadBytes)
        throw this.fullDisk('upload', cacheDir, free, plan.uploadBytes);
      const sftp = await this.shell.connection.sftp();
      await this.shell.connection.guard(
        fastPut(sftp, artifact.localPath, `${cached}.partial`, this.host, this.uploadChunks),
      );
      const sum = (await this.shell.run('verify upload', `sha256sum ${shellQuote(`${cached}.partial`)}`)).split(' ')[0];
      if (sum !== artifact.fileSha256)
        throw new RemoteStepError(
          this.host,
          'verify upload',
          undefined,
          `sha256 ${sum} on the host, ${artifact.fileSha256} here`,
        );
      await this.shell.run('store upload', `mv -f ${shellQuote(`${cached}.partial`)} ${shellQuote(cached)}`);
    }
    this.report('unpack', plan.release);
    await this.shell.run(
      'unpack',
      `set -e; mkdir -p ${shellQuote(releasesDir)}; rm -rf ${shellQuote(partial)}; mkdir ${shellQuote(partial)}; ${unpackCommand(artifact.kind, cached, partial, artifact.source)}`,
    );
    if (this.app.hooks.afterUpload) {
      this.report('afterUpload', this.app.hooks.afterUpload);
      await this.shell.run('afterUpload hook', this.hook(this.app.hooks.afterUpload, partial, plan.release));
    }
    await this.shell.run('finish stage', `mv ${shellQuote(partial)} ${shellQuote(`${releasesDir}/${plan.release}`)}`);
  }

  private fullDisk(step: string, dir: string, free: number, needed: number): RemoteStepError {
    return new RemoteStepError(this.host, step, undefined, noSpace(dir, free, needed));
  }

  /** SFTP reports a full disk as a bare "Failure", tar as a short write: look at the free space before passing it on. */
  private async explainFullDisk(error: unknown, uploadBytes: number): Promise<unknown> {
    if (!(error instanceof RemoteStepError) || /No space left|ENOSPC/.test(error.message)) return error;
    const df = await this.shell.connection
      .exec(`df -Pk ${shellQuote(this.app.root)} | tail -n 1`)
      .catch(() => undefined);
    const free = df?.code === 0 ? freeBytes(df.stdout) : undefined;
    // Under 1 MiB left (or less than the upload) counts as full: ENOSPC leaves a few blocks at most.
    if (free === undefined || free >= Math.max(uploadBytes, 1024 * 1024)) return error;
    const said = error.message.replace(`${this.host}: ${error.step} failed: `, '');
    return new RemoteStepError(this.host, error.step, error.result, `${noSpace(this.app.root, free)} (${said})`);
  }

  /** Points `current` at the release, writes and applies the conf, restarts, waits for RUNNING, checks health. */
  async switch(plan: HostPlan): Promise<SwitchOutcome> {
    const releaseDir = `${this.paths.releasesDir}/${plan.release}`;
    if (this.app.hooks.beforeSwitch && plan.releaseChanged)
      await this.shell.run('beforeSwitch hook', this.hook(this.app.hooks.beforeSwitch, releaseDir, plan.release));
    if (plan.releaseChanged) {
      this.report('switch', plan.release);
      await this.pointCurrentAt(plan.release);
    }
    const group = plan.confChanged ? await this.writeAndApply(plan.conf) : 'unchanged';
    const restarted = plan.releaseChanged && group === 'unchanged';
    if (restarted) await this.restartGroup();
    if (plan.releaseChanged || plan.confChanged) await this.verify(plan);
    if (this.app.hooks.afterSwitch && plan.releaseChanged)
      await this.shell.run('afterSwitch hook', this.hook(this.app.hooks.afterSwitch, releaseDir, plan.release));
    return { group, restarted: restarted || group === 'added' || group === 'changed' };
  }

  /** After a failed switch: back to the previous release and conf, programs restarted and RUNNING again. */
  async revert(plan: HostPlan): Promise<void> {
    this.report('revert', plan.previousRelease ?? '(no previous release)');
    if (plan.releaseChanged && plan.previousRelease) await this.pointCurrentAt(plan.previousRelease);
    let group: GroupChange = 'unchanged';
    if (plan.confChanged) {
      if (plan.previousConf !== null) group = await this.writeAndApply(plan.previousConf);
      else {
        await this.shell.runAsRoot('remove conf', `rm -f ${shellQuote(this.paths.confPath)}`);
        group = await applyGroup(this.client, this.app.name);
      }
    }
    if (plan.previousRelease === undefined) return;
    if (plan.releaseChanged && group === 'unchanged') await this.restartGroup();
    const settled = await waitForGroup(this.client, this.app.name, {
      timeoutMs: this.app.startTimeoutMs,
      settleMs: this.app.settleMs,
    });
    if (!settled.ok)
      throw new RemoteStepError(
        this.host,
        'revert',
        undefined,
        `the previous release does not run either: ${settled.problem}`,
      );
  }

  /** Removes releases beyond keepReleases (never current or the previous one) and artifacts no kept release uses. */
  async prune(plan: HostPlan): Promise<string[]> {
    const entries = [...new Set([...plan.state.entries, plan.release])];
    const doomed = releasesToPrune(
      entries,
      plan.release,
      this.app.keepReleases,
      plan.previousRelease ? [plan.previousRelease] : [],
    );
    const kept = entries.filter((e) => !doomed.includes(e) && !e.endsWith('.partial'));
    const keepHashes = kept.map((id) => releaseHash(id)).filter((h): h is string => h !== undefined);
    const cache = shellQuote(this.paths.cacheDir);
    const keepPattern = keepHashes.map((h) => `${h}*`).join('|') || 'none';
    await this.shell.run(
      'prune',
      [
        ...doomed.map((d) => `rm -rf ${shellQuote(`${this.paths.releasesDir}/${d}`)}`),
        `if [ -d ${cache} ]; then for f in ${cache}/*; do [ -e "$f" ] || continue; case "\${f##*/}" in ${keepPattern}) ;; *) rm -f "$f" ;; esac; done; fi`,
      ].join('\n'),
    );
    return doomed;
  }

  private async pointCurrentAt(release: string): Promise<void> {
    const tmp = `${this.paths.current}.convoy-tmp`;
    await this.shell.run(
      'switch current',
      `ln -sfn ${shellQuote(`releases/${release}`)} ${shellQuote(tmp)} && mv -T ${shellQuote(tmp)} ${shellQuote(this.paths.current)}`,
    );
  }

  private async writeAndApply(conf: string): Promise<GroupChange> {
    const file = shellQuote(this.paths.confPath);
    const tmp = shellQuote(`${this.paths.confPath}.convoy-tmp`);
    await this.shell.runAsRoot('write conf', `cat > ${tmp} && chmod 0644 ${tmp} && mv -f ${tmp} ${file}`, {
      stdin: conf,
    });
    this.report('apply conf', this.paths.confPath);
    return applyGroup(this.client, this.app.name);
  }

  private async restartGroup(): Promise<void> {
    this.report('restart', this.app.name);
    await this.client.stopProcessGroup(this.app.name, true);
    // Start failures show up in the wait that follows, with the process's own state and spawn error.
    await this.client.startProcessGroup(this.app.name, true).catch(() => []);
  }

  private async verify(plan: HostPlan): Promise<void> {
    this.report('wait RUNNING', this.app.name);
    const settled = await waitForGroup(this.client, this.app.name, {
      timeoutMs: this.app.startTimeoutMs,
      settleMs: this.app.settleMs,
    });
    if (!settled.ok) throw new RemoteStepError(this.host, 'wait for RUNNING', undefined, settled.problem);
    if (!this.app.healthcheck) return;
    const check = this.app.healthcheck;
    this.report('health', check.http ?? check.tcp ?? check.command ?? '');
    const result = await this.shell.connection.exec(healthCommand(check));
    if (result.code !== 0) {
      throw new RemoteStepError(
        this.host,
        'health check',
        result,
        `${check.http ?? check.tcp ?? check.command} did not pass within ${Math.round(check.timeoutMs / 1000)}s: ${result.stderr.trim().split('\n').pop() ?? ''} (release ${plan.release})`,
      );
    }
  }

  private hook(command: string, dir: string, release: string): string {
    return `cd ${shellQuote(dir)} && CONVOY_APP=${shellQuote(this.app.name)} CONVOY_RELEASE=${shellQuote(release)} CONVOY_ROOT=${shellQuote(this.app.root)} sh -c ${shellQuote(command)}`;
  }
}

function fastPut(sftp: SFTPWrapper, local: string, remote: string, host: string, chunks: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.fastPut(local, remote, { concurrency: chunks, chunkSize: uploadChunkBytes }, (error) =>
      error ? reject(new RemoteStepError(host, `upload ${path.basename(local)}`, undefined, error.message)) : resolve(),
    );
  });
}

/** Available bytes from the last line of `df -Pk`, or undefined when it cannot be read. */
function freeBytes(dfLine: string): number | undefined {
  const kb = Number(dfLine.trim().split(/\s+/)[3]);
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

function noSpace(dir: string, free: number, needed?: number): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return `No space left on device (ENOSPC): ${dir} has ${mb(free)} free${needed === undefined ? '' : `, ${mb(needed)} needed`}; free space there (or move the app's root) and deploy again`;
}
