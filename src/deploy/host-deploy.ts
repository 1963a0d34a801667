// One app on one host, step by step (docs/deploy.md): lock, inspect, stage (nothing live changes), switch, verify,
// revert, prune, unlock. The engine drives these steps across hosts through the AppOnHost interface.
import { RemoteStepError } from '../host/errors.ts';
import type { ExecOptions, HostSession } from '../host/session.ts';
import { shellQuote } from '../shell/quote.ts';
import type { LaidOutSupervisor } from '../supervisor/open.ts';
import { qualifiedName } from '../supervisor/wait.ts';
import type { DeployAppSpec } from './app-spec.ts';
import type { GroupChange } from './apply-conf.ts';
import { applyGroup } from './apply-conf.ts';
import type { PreparedArtifact } from './artifact.ts';
import { objectsDir, pruneObjectsScript } from './delta.ts';
import { passGate } from './gate.ts';
import { hookCommand } from './hooks.ts';
import type { LockOwner } from './lock.ts';
import type { LockWait } from './lock.ts';
import { describeOwner, lockCommand, takeLock, unlockCommand } from './lock.ts';
import type { ResolvedSecrets } from '../secrets/values.ts';
import { secretVersion } from '../secrets/values.ts';
import { compactUtc } from '../units/time.ts';
import type { ConfSecrets } from './confgen.ts';
import type { SecretsFile } from './secrets-on-host.ts';
import {
  SecretsOnHost,
  newSecretsKey,
  prepareSecretsScript,
  pruneSecretsScript,
  secretsPaths,
  writeSecretsFileScript,
} from './secrets-on-host.ts';
import { appSections, clashCommand, confOwner, ownershipProblems } from './conf-owner.ts';
import { sameInclude } from '../supervisor/layout.ts';
import { createDirForLoginCommand, loginDirCommand, notWritableMessage, parseDirAnswer } from './dirs.ts';
import { chooseRelease, isReleaseId, releaseHash, releasesToPrune } from './releases.ts';
import type { RecordAction, RecordEntry, RecordOutcome, RecordedProcess, RunningProcess } from './record.ts';
import {
  appendRecordCommand,
  confDigest,
  groupProcesses,
  rollbackTarget,
  verifiedAndRunning,
  verifiedReleases,
} from './record.ts';
import type { ReleaseFiles } from './release-files.ts';
import { hasReleaseFiles, releaseContentHash, sharedCheckScript, sharedPresentLine } from './release-files.ts';
import type { AppPaths, RemoteState } from './remote-state.ts';
import { appPaths, beforeState, inspectCommand, parseInspect } from './remote-state.ts';
import type { LockStepAnswer } from './merged-steps.ts';
import { closeStepScript, lockStepScript, parseLockStep, pruneFailure } from './merged-steps.ts';
import type { Fanout } from './fanout.ts';
import type { PreReads } from './pre-read.ts';
import type { StepReporter } from './stage.ts';
import { stageRelease } from './stage.ts';
import type { RestartWay } from '../supervisor/restart-ways.ts';
import { describeWay, restartInWay } from '../supervisor/restart-ways.ts';

/** The state reads leave nothing running: under --persist they may run in the host's kept shell. */
const keptRead = { keptShell: true } as const;

export type { StepReporter };

export interface HostPlan {
  release: string;
  /**
   * Release and conf as the host has them, but not what was verified there (the deploy record says why): the
   * switch restarts and verifies anyway. Undefined when the host runs what was verified, or something changes.
   */
  converge?: string | undefined;
  previousRelease: string | undefined;
  releaseChanged: boolean;
  /** The release directory already exists on the host (same content): nothing to upload or unpack. */
  releaseExists: boolean;
  /** Bytes to upload (at most: a directory artifact sends only what the host lacks); once staged, the bytes sent. */
  uploadBytes: number;
  conf: string;
  previousConf: string | null;
  confChanged: boolean;
  /** The conf on the host is not Convoy's (src/deploy/conf-owner.ts): the run adopts it, keeping a backup. */
  adopting: boolean;
  state: RemoteState;
}

export interface SwitchOutcome {
  group: GroupChange;
  restarted: boolean;
}

/** The steps the engine drives on each host: HostDeploy over SSH, or a fake in the engine's unit tests. */
export interface AppOnHost {
  readonly host: string;
  readonly app: DeployAppSpec;
  readonly holdsLock: boolean;
  lock(): Promise<void>;
  /** What a deploy of the artifact does here. */
  inspect(now: Date): Promise<HostPlan>;
  /**
   * The plan of a host with nothing to change, as the ownership pass read it (no lock held, release and conf as
   * wanted and verified, processes running since): it needs no lock, no staging and writes nothing. Else undefined.
   */
  unchangedAsRead(now: Date): Promise<HostPlan | undefined>;
  /** What a rollback (to `to`, else the release verified before the current one) does here. */
  rollbackPlan(to: string | undefined): Promise<HostPlan>;
  stage(plan: HostPlan): Promise<void>;
  switch(plan: HostPlan): Promise<SwitchOutcome>;
  revert(plan: HostPlan): Promise<void>;
  prune(plan: HostPlan): Promise<string[]>;
  /** Runs the app's `beforeSwitchOnce` hook here, in the staged release, and records that this host ran it. */
  runOnce(plan: HostPlan): Promise<void>;
  /** Runs the app's `beforeBatch` or `afterBatch` hook here (when it runs on the hosts), in the staged release. */
  batchHook(hook: 'beforeBatch' | 'afterBatch', plan: HostPlan, batch: number): Promise<void>;
  /** Releases the lock, over a new login if the connection was lost; a failure says what is left and how to fix it. */
  unlock(): Promise<void>;
  /** Why this host stops the run before anything is staged: a conf not Convoy's own (unless `adopt`), a clash. */
  ownership(adopt: boolean): Promise<string[]>;
  /** The app's programs as supervisord names them (`group:name`), for a dry run. */
  programs(): Promise<string[]>;
  readonly confPath: string;
}

export interface HostDeployOptions {
  session: HostSession;
  supervisor: LaidOutSupervisor;
  app: DeployAppSpec;
  /** Absent for a rollback (nothing to upload). */
  artifact?: PreparedArtifact | undefined;
  renderConf: (release: string, secrets?: ConfSecrets) => string;
  /** The app's secrets, read once for the run (absent or empty: none). */
  secrets?: ResolvedSecrets | undefined;
  /** Shared paths and rendered templates that go into each release with the artifact (absent: none). */
  releaseFiles?: ReleaseFiles | undefined;
  owner: LockOwner;
  forceUnlock: boolean;
  /** `--lock-wait`: wait this long for a lock held by a live owner (absent: refuse at once). */
  lockWait?: LockWait | undefined;
  report?: StepReporter | undefined;
  /** Hosts uploading at once: they share one bounded upload window. */
  hostsAtOnce?: number | undefined;
  /** What the run does, for the deploy record. */
  action?: RecordAction | undefined;
  /** The task repository's git commit, for the deploy record. */
  commit?: string | undefined;
  /** The task repository had uncommitted changes (the record says so beside the commit). */
  dirty?: boolean | undefined;
  /** Fan-out uploads (src/deploy/fanout.ts); absent: every upload from this machine. */
  fanout?: Fanout | undefined;
  /** A deploy's pre-lock reads (src/deploy/pre-read.ts): the ownership pass keeps them, the run pass takes them. */
  preReads?: PreReads | undefined;
  /**
   * The host's supervisord.conf is not read yet and `supervisor` is a guess (HostSession.layoutGuess): the ownership
   * read prints it first with this shell function (one round trip for both), then reads again where the guess was wrong.
   */
  findConf?: string | undefined;
}

export class HostDeploy implements AppOnHost {
  readonly paths: AppPaths;
  readonly app: DeployAppSpec;
  private readonly session: HostSession;
  private readonly report: StepReporter;
  private locked = false;
  /** Entries written to the host's record by this run, and those still to write (with the unlock). */
  private readonly recorded: RecordEntry[] = [];
  private pending: RecordEntry[] = [];
  /** The app's secrets on this host, as the last plan rendered them; a key made by this run, to write when staging. */
  private secretsOnHost: SecretsOnHost | undefined;
  private readonly secretsFiles = new Map<string, SecretsFile>();
  private newKey: string | undefined;
  /** What the lock step read once the lock was taken, for the plan that follows. */
  private lockedState: RemoteState | undefined;
  /** Free bytes where uploads go, read with the lock (undefined: the upload reads it). */
  private freeBytes: number | undefined;
  /** The prune decided after a healthy switch, run with the unlock. */
  private pruneScript: string | undefined;

  constructor(private readonly options: HostDeployOptions) {
    const { layout } = options.supervisor;
    this.session = options.session;
    this.app = options.app;
    this.report = options.report ?? (() => {});
    this.paths = appPaths(this.app.root, layout.includeDir, this.app.name, layout.includeExtension);
  }

  get host(): string {
    return this.session.name;
  }

  get confPath(): string {
    return this.paths.confPath;
  }

  get holdsLock(): boolean {
    return this.locked;
  }

  /** Reads the host's state and decides what this deploy does there; changes nothing. */
  async inspect(now: Date): Promise<HostPlan> {
    const artifact = this.requireArtifact();
    const state = await this.stateAfterLock();
    const sha = releaseContentHash(artifact.sha256, this.options.releaseFiles, this.secretVersions(state));
    const { release, existing } = chooseRelease(state, sha, now);
    const uploadBytes = existing || state.artifactCached ? 0 : artifact.bytes;
    const plan = this.plan(state, release, existing, uploadBytes);
    // The processes matter only when nothing else changes (converge or not): no call for a host that changes.
    if (plan.releaseChanged || plan.confChanged) return plan;
    return this.withConvergence(plan, await this.runningProcesses());
  }

  async unchangedAsRead(now: Date): Promise<HostPlan | undefined> {
    const read = this.options.preReads?.take(this.app.name, this.host);
    const artifact = this.options.artifact;
    // Secrets files are written by every locked deploy (placeSecrets): such an app always takes the locked path.
    if (!read?.running || !artifact || this.hasSecrets) return undefined;
    const { state } = read;
    if (state.lockOwner !== undefined || state.confUnreadable || state.sharedMissing) return undefined;
    // Another app of the run went first: what runs now is what counts (one call), the files as read are kept.
    const running = read.processesStale ? await this.runningProcesses().catch(() => undefined) : read.running;
    if (!running) return undefined;
    const sha = releaseContentHash(artifact.sha256, this.options.releaseFiles, this.secretVersions(state));
    const { release, existing } = chooseRelease(state, sha, now);
    if (!existing) return undefined;
    const plan = this.withConvergence(this.plan(state, release, true, 0), running);
    const still = !plan.releaseChanged && !plan.confChanged && !plan.adopting && plan.converge === undefined;
    return still ? plan : undefined;
  }

  /** The app's processes as supervisord reports them now (`group:name`). */
  private async runningProcesses(): Promise<RunningProcess[]> {
    return groupProcesses(await this.options.supervisor.getAllProcessInfo(), this.app.name);
  }

  /** Nothing to change on disk: still restart and verify unless the record says the host runs what was verified. */
  private withConvergence(plan: HostPlan, running: readonly RunningProcess[]): HostPlan {
    if (plan.releaseChanged || plan.confChanged) return plan;
    const verdict = verifiedAndRunning(plan.state.record, plan.state.current, plan.conf, running);
    return verdict.ok ? plan : { ...plan, converge: verdict.reason };
  }

  async rollbackPlan(to: string | undefined): Promise<HostPlan> {
    const [state, running] = await Promise.all([this.stateAfterLock(), this.runningProcesses()]);
    const target = rollbackTargetOn(this.host, state, to);
    return this.withConvergence(this.plan(state, target, true, 0), running);
  }

  /**
   * The host's releases, current release, conf, record, lock and section clashes, in one round trip; as root where
   * sudo is allowed, since the conf is not world-readable.
   */
  async readState(): Promise<RemoteState> {
    return this.withConf(parseInspect(await this.session.run('inspect', this.stateScript(), keptRead)));
  }

  /**
   * The state with the conf read as root when the login could not read it and sudo could not be called from the
   * state's script (it wants a password or a terminal): one more round trip, on such hosts only.
   */
  private async withConf(state: RemoteState): Promise<RemoteState> {
    if (!state.confUnreadable || !this.session.mayRunAsRoot) return state;
    const conf = await this.session.runAsRoot('read the app conf', `cat ${shellQuote(this.paths.confPath)}`);
    return { ...state, conf, confUnreadable: false };
  }

  /** The state as read with the lock (one round trip for both), else read now. */
  private stateAfterLock(): Promise<RemoteState> {
    const state = this.lockedState;
    this.lockedState = undefined;
    return state ? Promise.resolve(state) : this.readState();
  }

  private stateScript(): string {
    const { layout } = this.options.supervisor;
    const sections = appSections(this.app.name, this.app.programs);
    const clashes = clashCommand(this.paths.confPath, layout.includeDir, layout.includeExtension, sections);
    const key = this.hasSecrets ? secretsPaths(this.app.root).key : '';
    // The conf is root's 0640: read as root where sudo is allowed (the rest of the state is the login's).
    const sudoCat = this.session.inlineSudo;
    const files = this.options.releaseFiles;
    const shared = hasReleaseFiles(files) ? sharedPresentLine(this.app.root, files.shared) : '';
    const extras = { clashes, secretsKey: key, sudoCat, shared };
    return inspectCommand(this.paths, this.options.artifact?.cacheName ?? '', extras);
  }

  async ownership(adopt: boolean): Promise<string[]> {
    if (this.options.findConf) return this.ownershipWithLayout(adopt, this.options.findConf);
    // A deploy reads the processes in the same pass (one call), so that an unchanged host needs nothing more.
    const preReads = this.options.preReads;
    const running = preReads ? this.runningProcesses().catch(() => undefined) : undefined;
    const state = await this.readState();
    return this.ownershipOf(state, await running, adopt);
  }

  /**
   * The ownership read with supervisord.conf read first in the same script, on the usual layout: where the host's
   * puts app confs elsewhere, the read is made again on the real one; where only its socket differs, the call.
   */
  private async ownershipWithLayout(adopt: boolean, findConf: string): Promise<string[]> {
    const guessed = this.options.supervisor.layout;
    const running = this.runningProcesses().catch(() => undefined);
    const said = await this.session.run(
      'inspect',
      `${findConf}\nconvoy_find_conf\necho\n${this.stateScript()}`,
      keptRead,
    );
    const layout = this.session.adoptLayout(beforeState(said));
    const real = layout ?? (await this.session.laidOutSupervisor({ probe: false }));
    const onReal = new HostDeploy({ ...this.options, supervisor: real, findConf: undefined });
    if (!layout || !sameInclude(layout.layout, guessed)) return onReal.ownership(adopt);
    const sameSocket = layout.layout.socketPath === guessed.socketPath && !layout.layout.credentials;
    const read = sameSocket ? await running : undefined;
    const processes = read ?? (await onReal.runningProcesses().catch(() => undefined));
    return onReal.ownershipOf(await this.withConf(parseInspect(said)), processes, adopt);
  }

  /** Why the run must stop here (conf not Convoy's, clashes); a deploy keeps what was read for its run pass. */
  private ownershipOf(state: RemoteState, running: RunningProcess[] | undefined, adopt: boolean): string[] {
    this.options.preReads?.keep(this.app.name, this.host, { state, running });
    const owner = confOwner(state.conf, this.app.name, state.record);
    const where = { host: this.host, app: this.app.name, confPath: this.paths.confPath, backupDir: this.backupDir };
    return ownershipProblems(where, owner, state.clashes, adopt);
  }

  /** Where an adopted conf's original is kept (root's, 0700; the copy keeps the original's owner and mode). */
  private get backupDir(): string {
    return `${this.app.root}/.convoy/adopted`;
  }

  private get hasSecrets(): boolean {
    return (this.options.secrets?.length ?? 0) > 0;
  }

  /** The host's key for the app's secrets, or a new one (written when staging). */
  private secretsKey(state: RemoteState): string {
    return state.secretsKey ?? (this.newKey ??= newSecretsKey());
  }

  /** Each secret's keyed version on this host (for the release's identity when a template holds one). */
  private secretVersions(state: RemoteState): Map<string, string> {
    if (!this.hasSecrets) return new Map();
    const key = this.secretsKey(state);
    return new Map((this.options.secrets ?? []).map((s) => [s.name, secretVersion(key, s)]));
  }

  /** The secrets part of the conf: the host's key (or a new one, written when staging), the files it names. */
  private confSecrets(state: RemoteState): ConfSecrets | undefined {
    if (!this.hasSecrets) return undefined;
    const key = this.secretsKey(state);
    this.secretsOnHost = new SecretsOnHost(secretsPaths(this.app.root), key, this.options.secrets ?? []);
    this.secretsFiles.clear();
    return this.secretsOnHost.forConf(this.secretsFiles);
  }

  private plan(state: RemoteState, release: string, releaseExists: boolean, uploadBytes: number): HostPlan {
    const conf = this.options.renderConf(release, this.confSecrets(state));
    return {
      release,
      previousRelease: state.current,
      releaseChanged: release !== state.current,
      releaseExists,
      uploadBytes,
      conf,
      previousConf: state.conf,
      confChanged: conf !== state.conf,
      adopting: confOwner(state.conf, this.app.name, state.record) === 'foreign',
      state,
    };
  }

  private requireArtifact(): PreparedArtifact {
    if (!this.options.artifact) throw new RemoteStepError(this.host, 'inspect', undefined, 'no artifact to deploy');
    return this.options.artifact;
  }

  /**
   * Takes the app's lock (creating the app root, as root when the login cannot). A lock left by a run of this
   * machine whose process is gone (killed, or its laptop lid closed mid-run) is broken with a notice; any other
   * holder is waited for under --lock-wait, else needs --force-unlock.
   */
  async lock(): Promise<void> {
    const { forceUnlock, lockWait } = this.options;
    let step: LockStepAnswer | undefined;
    // The root, the lock, the log directory and the state the lock now protects, in one round trip (merged-steps.ts);
    // a root the login cannot make is made as root first, and the step run again.
    const lockAndRead = async (force: boolean) => {
      let said = await this.session.run('lock', this.lockStep(force));
      step = parseLockStep(said);
      if (step.rootWritable) return said;
      await this.ensureWritableDir(this.app.root);
      said = await this.session.run('lock', this.lockStep(force));
      step = parseLockStep(said);
      return said;
    };
    const said = await takeLock({ host: this.host, app: this.app.name }, lockAndRead, {
      force: forceUnlock,
      wait: lockWait,
      onBroken: (line) => this.report('lock', `broke the lock of a dead run: ${describeOwner(line)}`),
    });
    this.locked = true;
    this.lockedState = await this.withConf(parseInspect(said));
    this.freeBytes = step?.freeBytes;
    // supervisord refuses a conf whose log directory does not exist (CANT_REREAD), for every app on the host.
    if (!step?.logDirWritable) await this.ensureWritableDir(this.app.logDir);
  }

  private lockStep(force: boolean): string {
    const { owner } = this.options;
    return lockStepScript({
      root: this.app.root,
      logDir: this.app.logDir,
      uploadDirs: this.options.artifact ? [this.paths.cacheDir, this.paths.releasesDir] : [],
      lock: lockCommand(this.paths, owner, force),
      state: this.stateScript(),
    });
  }

  /** Creates `dir` as the login, or as root for the login when it cannot; an existing one is never handed over. */
  private async ensureWritableDir(dir: string): Promise<void> {
    if ((await this.session.script(`create ${dir}`, loginDirCommand(dir))).code === 0) return;
    const user = this.session.host.user;
    const answer = parseDirAnswer(await this.session.runAsRoot(`create ${dir}`, createDirForLoginCommand(dir, user)));
    if (answer === 'exists') {
      throw new RemoteStepError(this.host, `create ${dir}`, undefined, notWritableMessage(dir, user));
    }
  }

  async unlock(): Promise<void> {
    if (!this.locked) return;
    // The prune and the entries still to write go with the unlock: one round trip to end a host (merged-steps.ts).
    const record = this.pending.length > 0 ? appendRecordCommand(this.paths, this.pending) : undefined;
    const command = closeStepScript({
      prune: this.pruneScript,
      record,
      unlock: unlockCommand(this.paths, this.options.owner),
    });
    let said: string;
    try {
      said = await this.session.run('unlock', command);
    } catch (error) {
      if (!this.session.lost) throw this.lockLeft(error);
      // The connection died mid-run: a new login releases the lock, so that the next deploy is not blocked.
      try {
        await this.session.relog();
        said = await this.session.run('unlock', command);
      } catch (again) {
        throw this.lockLeft(again);
      }
    }
    this.locked = false;
    this.pruneScript = undefined;
    this.recorded.push(...this.pending);
    this.pending = [];
    // The lock is released: a prune that failed is a note on a healthy host, as it was when it ran on its own.
    const failed = pruneFailure(said);
    if (failed !== undefined) throw new RemoteStepError(this.host, 'prune', undefined, failed);
  }

  private lockLeft(error: unknown): RemoteStepError {
    const why = error instanceof Error ? error.message : String(error);
    const said = `the lock ${this.paths.lockDir} is left on ${this.host} (${why}); remove it with --force-unlock`;
    return new RemoteStepError(this.host, 'unlock', undefined, said);
  }

  /** Makes releases/<id> complete; nothing live changes. */
  async stage(plan: HostPlan): Promise<void> {
    if (!plan.releaseExists) await this.stageRelease(plan);
    else if (this.options.artifact) await this.checkShared();
    await this.placeSecrets(plan);
  }

  /**
   * A deploy that reuses a release (its links made when it was staged) still checks the shared paths they point
   * to: dirs made again when missing, a missing file fails staging. Not for a rollback, whose release may link
   * other paths than today's task file says.
   */
  private async checkShared(): Promise<void> {
    const files = this.options.releaseFiles;
    if (!hasReleaseFiles(files) || files.shared.dirs.length + files.shared.files.length === 0) return;
    await this.session.run('shared', `set -e\n${sharedCheckScript(this.app.root, files.shared)}`);
  }

  /**
   * The programs' secrets files, before anything switches: new names beside the old ones, so that the running
   * programs (and a revert) keep theirs. The values go on stdin only.
   */
  private async placeSecrets(plan: HostPlan): Promise<void> {
    const onHost = this.secretsOnHost;
    if (!onHost) return;
    const paths = secretsPaths(this.app.root);
    const key = plan.state.secretsKey === undefined ? this.newKey : undefined;
    await this.session.run('secrets', prepareSecretsScript(paths, key !== undefined), key ? { stdin: `${key}\n` } : {});
    const login = this.session.host.user;
    for (const file of this.secretsFiles.values()) {
      const asRoot = login !== 'root' && file.owner !== login;
      const script = writeSecretsFileScript(file, asRoot);
      const options = { stdin: onHost.text() };
      await (asRoot
        ? this.session.runAsRoot('secrets', script, options)
        : this.session.run('secrets', script, options));
    }
  }

  private async stageRelease(plan: HostPlan): Promise<void> {
    // What was sent (a delta upload sends less than the plan's whole artifact): the result's uploadedBytes.
    plan.uploadBytes = await stageRelease({
      session: this.session,
      app: this.app,
      paths: this.paths,
      artifact: this.requireArtifact(),
      release: plan.release,
      uploadBytes: plan.uploadBytes,
      hostsAtOnce: this.options.hostsAtOnce ?? 1,
      report: this.report,
      files: this.options.releaseFiles,
      freeBytes: this.freeBytes,
      fanout: this.options.fanout,
      // A fan-out deploy relays one file host to host: a directory artifact goes as its whole tar, not as objects.
      wholeArtifact: this.options.fanout !== undefined,
    });
  }

  /**
   * Points `current` at the release, writes and applies the conf, restarts, passes the gate, and records the release
   * and conf as verified. A host that runs what was verified before is left alone (its entry goes with the unlock).
   */
  async switch(plan: HostPlan): Promise<SwitchOutcome> {
    const releaseDir = `${this.paths.releasesDir}/${plan.release}`;
    const { beforeSwitch, afterSwitch } = this.app.hooks;
    const converge = plan.converge !== undefined;
    // Nothing changes: nothing is written either (docs/deploy.md, "Unchanged hosts"), not even a record entry.
    if (!plan.releaseChanged && !plan.confChanged && !converge) return { group: 'unchanged', restarted: false };
    if (beforeSwitch && plan.releaseChanged) await this.runHook('beforeSwitch', beforeSwitch, releaseDir, plan);
    if (plan.releaseChanged) {
      this.report('switch', plan.release);
      await this.pointCurrentAt(plan.release);
    }
    if (converge) this.report('converge', plan.converge);
    // A converging host may never have had its conf applied (a run cut off after writing it): apply it first.
    if (plan.confChanged && plan.adopting) await this.backUpAdoptedConf();
    const group = plan.confChanged
      ? await this.writeAndApply(plan.conf)
      : converge
        ? await applyGroup(this.options.supervisor, this.app.name)
        : 'unchanged';
    const restarted = (plan.releaseChanged || converge) && group === 'unchanged';
    if (restarted) await this.restartGroup();
    const processes = await this.verify(plan);
    const verified = this.entry('verified', plan, { processes });
    // Without an afterSwitch hook the entry goes with the unlock (one round trip less); a run cut off before it
    // leaves no entry, and the next deploy converges: restarts and verifies again, never takes it as verified.
    if (afterSwitch && plan.releaseChanged) {
      await this.appendRecord(verified);
      await this.runHook('afterSwitch', afterSwitch, releaseDir, plan);
    } else this.pending.push(verified);
    return { group, restarted: restarted || group === 'added' || group === 'changed' };
  }

  /** A record entry about `plan`, by this run. */
  private entry(outcome: RecordOutcome, plan: HostPlan, extra: Partial<RecordEntry> = {}): RecordEntry {
    const { owner } = this.options;
    return {
      v: 1,
      at: new Date().toISOString(),
      run: owner.token,
      action: this.options.action ?? 'deploy',
      outcome,
      app: this.app.name,
      release: plan.release,
      previousRelease: plan.previousRelease,
      confDigest: confDigest(plan.conf),
      by: { login: this.session.host.user, user: owner.user, machine: owner.machine, pid: owner.pid },
      ...(this.options.commit ? { commit: this.options.commit } : {}),
      ...(this.options.dirty ? { dirty: true } : {}),
      ...extra,
    };
  }

  /** Writes the entries still to write, then `entry`, in the order they happened. */
  private async appendRecord(entry: RecordEntry): Promise<void> {
    const entries = [...this.pending, entry];
    await this.session.run('record', appendRecordCommand(this.paths, entries));
    this.pending = [];
    this.recorded.push(...entries);
  }

  private async runHook(name: string, command: string, dir: string, plan: HostPlan): Promise<void> {
    await this.session.run(`${name} hook`, hookCommand(this.app, command, dir, plan.release));
  }

  async runOnce(plan: HostPlan): Promise<void> {
    const command = this.app.hooks.beforeSwitchOnce;
    if (!command) return;
    try {
      await this.runHook('beforeSwitchOnce', command, `${this.paths.releasesDir}/${plan.release}`, plan);
    } catch (error) {
      const said = error instanceof Error ? error.message : String(error);
      if (!this.session.lost) {
        await this.appendRecord(this.entry('failed', plan, { hook: 'beforeSwitchOnce', error: said })).catch(
          () => undefined,
        );
      }
      throw error;
    }
    await this.appendRecord(this.entry('ran-once', plan, { hook: 'beforeSwitchOnce' }));
  }

  async batchHook(hook: 'beforeBatch' | 'afterBatch', plan: HostPlan, batch: number): Promise<void> {
    const command = this.app.hooks[hook];
    if (!command) return;
    const dir = `${this.paths.releasesDir}/${plan.release}`;
    await this.session.run(
      `${hook} hook`,
      hookCommand(this.app, command, dir, plan.release, { CONVOY_BATCH: `${batch}` }),
    );
  }

  /** After a failed switch: back to the previous release and conf, programs restarted and RUNNING again. */
  async revert(plan: HostPlan): Promise<void> {
    try {
      await this.goBack(plan);
    } catch (error) {
      if (!this.session.lost) {
        const said = error instanceof Error ? error.message : String(error);
        await this.appendRecord(this.entry('failed', plan, { error: said })).catch(() => undefined);
      }
      throw error;
    }
    await this.appendRecord(this.entry('reverted', plan));
  }

  private async goBack(plan: HostPlan): Promise<void> {
    this.report('revert', plan.previousRelease ?? '(no previous release)');
    if (plan.releaseChanged && plan.previousRelease) await this.pointCurrentAt(plan.previousRelease);
    const group = plan.confChanged ? await this.restoreConf(plan.previousConf) : 'unchanged';
    if (plan.previousRelease === undefined) return;
    if (plan.releaseChanged && group === 'unchanged') await this.restartGroup();
    const gate = { ...this.app.gate, healthcheck: undefined };
    const back = await passGate(this.session, this.options.supervisor, this.app.name, gate);
    if (!back.ok) {
      const said = `the previous release does not run either: ${back.problem}`;
      throw new RemoteStepError(this.host, 'revert', undefined, said);
    }
  }

  private async restoreConf(previous: string | null): Promise<GroupChange> {
    if (previous !== null) return this.writeAndApply(previous);
    await this.onIncludeDir('remove conf', `rm -f ${shellQuote(this.paths.confPath)}`);
    return applyGroup(this.options.supervisor, this.app.name);
  }

  /** Removes releases beyond keepReleases (never current or the previous one) and artifacts no kept release uses. */
  async prune(plan: HostPlan): Promise<string[]> {
    // A host answered from its pre-lock read holds no lock: nothing new arrived there, nothing to prune.
    if (!this.locked) return [];
    const entries = [...new Set([...plan.state.entries, plan.release])];
    const protect = plan.previousRelease ? [plan.previousRelease] : [];
    const live = verifiedReleases([...plan.state.record, ...this.recorded, ...this.pending]);
    const doomed = releasesToPrune(entries, plan.release, this.app.keepReleases, protect, live);
    const kept = entries.filter((e) => !doomed.includes(e) && isReleaseId(e));
    const keepHashes = kept.map((id) => releaseHash(id)).filter((h): h is string => h !== undefined);
    const cache = shellQuote(this.paths.cacheDir);
    // This deploy's artifact too: a release with shared paths or templates is not named by the artifact's hash.
    const thisArtifact = this.options.artifact ? [this.options.artifact.cacheName] : [];
    const keepPattern = [...keepHashes.map((h) => `${h}*`), ...thisArtifact].join('|') || 'none';
    const removeReleases = doomed.map((d) => `rm -rf ${shellQuote(`${this.paths.releasesDir}/${d}`)}`);
    const removeUnkept = `case "\${f##*/}" in ${keepPattern}) ;; *) rm -f "$f" ;; esac`;
    const removeArtifacts = `if [ -d ${cache} ]; then for f in ${cache}/*; do [ -e "$f" ] || continue; ${removeUnkept}; done; fi`;
    const removeSecrets = pruneSecretsScript(secretsPaths(this.app.root), [plan.conf, plan.previousConf]);
    // Runs with the unlock, in the same round trip; what it could not remove is said then, as a note. After the
    // releases: store objects only they linked to now have a link count of 1.
    const removeObjects = pruneObjectsScript(objectsDir(this.app.root));
    this.pruneScript = [...removeReleases, removeArtifacts, removeSecrets, removeObjects].join('\n');
    return doomed;
  }

  async programs(): Promise<string[]> {
    const all = await this.options.supervisor.getAllProcessInfo();
    return all
      .filter((p) => p.group === this.app.name)
      .map((p) => (p.name === p.group ? p.name : `${p.group}:${p.name}`));
  }

  private async pointCurrentAt(release: string): Promise<void> {
    const tmp = shellQuote(`${this.paths.current}.convoy-tmp`);
    const link = `ln -sfn ${shellQuote(`releases/${release}`)} ${tmp}`;
    await this.session.run('switch current', `${link} && mv -T ${tmp} ${shellQuote(this.paths.current)}`);
  }

  /**
   * A step on the app's conf: as the login where it may write the include directory (a supervisord run by the login
   * itself, from its home: no root anywhere), else as root.
   */
  private onIncludeDir(step: string, script: string, options: ExecOptions = {}): Promise<void> {
    return this.session.runWhereWritable(step, this.options.supervisor.layout.includeDir, script, options);
  }

  /**
   * Writes the conf 0640, root's (or the login's, see onIncludeDir), in the include directory's group: `environment=` values are not for every
   * account on the host (supervisord reads it as root).
   */
  private async writeAndApply(conf: string): Promise<GroupChange> {
    const file = shellQuote(this.paths.confPath);
    const tmp = shellQuote(`${this.paths.confPath}.convoy-tmp`);
    const dir = shellQuote(this.options.supervisor.layout.includeDir);
    const write = `umask 077 && cat > ${tmp} && chgrp "$(stat -c %g ${dir})" ${tmp} && chmod 0640 ${tmp} && mv -f ${tmp} ${file}`;
    await this.onIncludeDir('write conf', write, { stdin: conf });
    this.report('apply conf', this.paths.confPath);
    return applyGroup(this.options.supervisor, this.app.name);
  }

  /** Keeps the administrator's conf that `--adopt` replaces: `<root>/.convoy/adopted/<file>.<UTC time>`. */
  private async backUpAdoptedConf(): Promise<void> {
    const name = `${this.paths.confPath.split('/').pop() ?? 'app.conf'}.${compactUtc(new Date())}`;
    const dir = shellQuote(this.backupDir);
    const copy = `mkdir -p -m 0700 ${dir} && chmod 0700 ${dir} && cp -p ${shellQuote(this.paths.confPath)} ${dir}/${shellQuote(name)}`;
    this.report('adopt conf', `${this.paths.confPath} kept as ${this.backupDir}/${name}`);
    await this.onIncludeDir('adopt conf', copy);
  }

  private async restartGroup(): Promise<void> {
    const way = this.app.restartWay;
    if (way) return this.restartInWay(way);
    this.report('restart', this.app.name);
    await this.options.supervisor.stopProcessGroup(this.app.name, true);
    // Start failures show up in the gate that follows, with the process's own state and spawn error.
    await this.options.supervisor.startProcessGroup(this.app.name, true).catch(() => []);
  }

  /** The app's way: a signal (the processes keep their PIDs), or one process at a time; the gate judges either. */
  private async restartInWay(way: RestartWay): Promise<void> {
    const { supervisor } = this.options;
    this.report(way.kind === 'signal' ? 'reload' : 'restart', `${this.app.name} (${describeWay(way)})`);
    const processes = (await supervisor.getAllProcessInfo()).filter((p) => p.group === this.app.name);
    // Failures show up in the gate that follows, with the process's own state and spawn error.
    await restartInWay(supervisor, processes, way, new Map());
  }

  private async verify(plan: HostPlan): Promise<RecordedProcess[]> {
    const { gate } = this.app;
    this.report('wait RUNNING', this.app.name);
    const passed = await passGate(this.session, this.options.supervisor, this.app.name, gate, {
      onHealthCheck: (target) => this.report('health', target),
    });
    if (passed.ok) return passed.processes.map((p) => ({ name: qualifiedName(p), pid: p.pid, start: p.start }));
    const said = passed.step === 'health check' ? `${passed.problem} (release ${plan.release})` : passed.problem;
    throw new RemoteStepError(this.host, passed.step, undefined, said);
  }
}

/** The release a rollback goes to on this host: `to`, or the one verified before the current one. */
function rollbackTargetOn(host: string, state: RemoteState, to: string | undefined): string {
  const releases = state.entries.filter(isReleaseId).sort();
  const there = `releases there: ${releases.join(', ') || 'none'}`;
  const live = verifiedReleases(state.record);
  if (to !== undefined) {
    if (!releases.includes(to))
      throw new RemoteStepError(host, 'rollback', undefined, `release ${to} is not on the host; ${there}`);
    if (live.length > 0 && !live.includes(to)) {
      const said = `release ${to} was never live and verified on this host (it failed, or was only staged); ${there}`;
      throw new RemoteStepError(host, 'rollback', undefined, said);
    }
    return to;
  }
  const target = rollbackTarget(state.record, state.current, releases);
  if (target !== undefined) return target;
  const said =
    state.record.length === 0
      ? `this host has no deploy record (its releases were deployed before Convoy kept one): name the release with --to; ${there}`
      : `no release was verified here before ${state.current ?? '(none)'}; ${there}`;
  throw new RemoteStepError(host, 'rollback', undefined, said);
}
