// `convoy remove <target> <app>` on one host (docs/command-line.md): read what the host has of the app, then, under
// the app's lock, stop its group, remove its conf, have supervisord drop that group only, write the removal down in
// the deploy record and, with `--purge`, remove the app's root. Other groups are never reread into action.
import { RemoteStepError, failureDetail } from '../host/errors.ts';
import type { HostSession } from '../host/session.ts';
import { shellQuote } from '../shell/quote.ts';
import { Faults, isFault } from '../supervisor/faults.ts';
import type { LaidOutSupervisor } from '../supervisor/open.ts';
import type { ProcessInfo } from '../supervisor/process-info.ts';
import { qualifiedName } from '../supervisor/wait.ts';
import type { AppState } from './app-state.ts';
import { appStateCommand, parseAppState } from './app-state.ts';
import type { ConfOwner } from './conf-owner.ts';
import { confOwner } from './conf-owner.ts';
import type { LockOwner } from './lock.ts';
import type { LockWait } from './lock.ts';
import { lockCommand, takeLock, unlockCommand } from './lock.ts';
import type { RecordEntry } from './record.ts';
import { appendRecordCommand, confDigest, recordPath } from './record.ts';
import type { AppPaths } from './remote-state.ts';
import { appPaths } from './remote-state.ts';
import {
  ifRootCommand,
  parseConfRead,
  purgeCommand,
  purgeProblem,
  readConfCommand,
  rootFromConf,
  rootWasAbsent,
} from './remove-plan.ts';

export interface RemovalOptions {
  session: HostSession;
  supervisor: LaidOutSupervisor;
  app: string;
  /** The root a task file gives the app; undefined when no task describes it (then read from its conf). */
  taskRoot: string | undefined;
  purge: boolean;
  owner: LockOwner;
  forceUnlock: boolean;
  /** `--lock-wait`: wait this long for a lock held by a live owner (absent: refuse at once). */
  lockWait?: LockWait | undefined;
}

/** What the host has of the app, and whose its conf is. */
export interface RemovalPlan {
  confPath: string;
  conf: string | null;
  confOwner: ConfOwner;
  /** The app's root (the task's, else its conf's), undefined when unknown. */
  root: string | undefined;
  rootExists: boolean;
  state: AppState;
  /** The group's processes in supervisord (none: the group is not loaded). */
  processes: ProcessInfo[];
  /** Why `--purge` may not remove the root here. */
  purgeRefused: string | undefined;
}

export class HostRemoval {
  private readonly paths: AppPaths;
  private locked = false;

  constructor(private readonly options: RemovalOptions) {
    const { layout } = options.supervisor;
    this.paths = appPaths(options.taskRoot ?? '', layout.includeDir, options.app, layout.includeExtension);
  }

  private get host(): string {
    return this.options.session.name;
  }

  /** Reads the host (under the app's lock when `locking`, which `release` then gives back). */
  async read(locking: boolean): Promise<RemovalPlan> {
    const { app, taskRoot, supervisor } = this.options;
    const conf = await this.readConf();
    const root = taskRoot ?? (conf === null ? undefined : rootFromConf(conf));
    const read = root === undefined ? undefined : locking ? await this.lock(root) : await this.readRoot(root);
    const state = read?.state ?? { current: undefined, lockOwner: undefined, record: [] };
    const processes = (await supervisor.getAllProcessInfo()).filter((p) => p.group === app);
    const facts = {
      app,
      includeDir: supervisor.layout.includeDir,
      fromTask: taskRoot !== undefined,
      record: state.record,
    };
    const purgeRefused = !this.options.purge
      ? undefined
      : root === undefined
        ? `the app's root is unknown (no task describes '${app}' and its conf's directory= is not <root>/current)`
        : read?.exists
          ? purgeProblem(root, facts)
          : undefined;
    return {
      confPath: this.paths.confPath,
      conf,
      confOwner: confOwner(conf, app, state.record),
      root,
      rootExists: read?.exists ?? false,
      state,
      processes,
      purgeRefused,
    };
  }

  /** The app's conf: read by the login, through `sudo -n` inline where it may, else in a root step of its own. */
  private async readConf(): Promise<string | null> {
    const { session } = this.options;
    const said = parseConfRead(
      await session.run('read the app conf', readConfCommand(this.paths.confPath, session.inlineSudo)),
    );
    if (said !== 'unreadable') return said;
    if (!session.mayRunAsRoot) {
      const why = `${this.paths.confPath} exists but the login cannot read it: set sudo = true for this host`;
      throw new RemoteStepError(this.host, 'read the app conf', undefined, why);
    }
    return session.runAsRoot('read the app conf', `cat ${shellQuote(this.paths.confPath)}`);
  }

  private async readRoot(root: string): Promise<{ exists: boolean; state: AppState }> {
    const said = await this.options.session.run('read the app', ifRootCommand(root, appStateCommand(root)));
    return { exists: !rootWasAbsent(said), state: parseAppState(said) };
  }

  /** Takes the app's lock as a deploy does (a dead run of this machine's is broken; a live one refuses or is waited for). */
  private async lock(root: string): Promise<{ exists: boolean; state: AppState }> {
    const paths = { ...this.paths, root, lockDir: `${root}/.convoy-lock` };
    const lockAndRead = (force: boolean) =>
      this.options.session.run(
        'lock',
        ifRootCommand(root, `${lockCommand(paths, this.options.owner, force)}\n${appStateCommand(root)}`),
      );
    const said = await takeLock({ host: this.host, app: this.options.app }, lockAndRead, {
      force: this.options.forceUnlock,
      wait: this.options.lockWait,
      nothingToLock: rootWasAbsent,
    });
    if (rootWasAbsent(said)) return { exists: false, state: parseAppState('') };
    this.locked = true;
    Object.assign(this.paths, { root, lockDir: paths.lockDir });
    return { exists: true, state: parseAppState(said) };
  }

  /** Gives the lock back (only if still ours; a purged root took it with it). */
  async release(): Promise<void> {
    if (!this.locked) return;
    await this.options.session.run('unlock', unlockCommand(this.paths, this.options.owner));
    this.locked = false;
  }

  /** Does what `plan` says, in order; returns what was done, one line each. */
  async apply(plan: RemovalPlan): Promise<string[]> {
    const done: string[] = [];
    if (plan.processes.length > 0) done.push(await this.stopGroup(plan.processes));
    if (plan.conf !== null) {
      await this.onIncludeDir('remove conf', `rm -f ${shellQuote(plan.confPath)}`);
      done.push(`removed ${plan.confPath}`);
    }
    if (await this.dropGroup()) done.push(`supervisord dropped group ${this.options.app}`);
    if (plan.root !== undefined && plan.rootExists && !this.options.purge) {
      await this.options.session.run('record', appendRecordCommand({ root: plan.root }, [this.entry(plan)]));
      done.push(`recorded in ${recordPath({ root: plan.root })}`);
    }
    if (plan.root !== undefined && plan.rootExists && this.options.purge) {
      await this.purge(plan.root);
      done.push(`purged ${plan.root}`);
    }
    return done;
  }

  /** supervisord's stop of the group: each program's stopsignal, SIGKILL only after its stopwaitsecs. */
  private async stopGroup(processes: readonly ProcessInfo[]): Promise<string> {
    const { supervisor, app } = this.options;
    try {
      const results = await supervisor.stopProcessGroup(app, true);
      const failed = results.filter((r) => r.status !== Faults.SUCCESS);
      if (failed.length > 0) {
        const said = failed.map((r) => `${r.group}:${r.name}: ${r.description}`).join('; ');
        throw new RemoteStepError(this.host, 'stop', undefined, said);
      }
    } catch (error) {
      if (!isFault(error, 'BAD_NAME')) throw error;
    }
    return `stopped ${processes.map(qualifiedName).join(', ')}`;
  }

  /** Reread, then drop this group only when supervisord now finds it removed (never `update` for every group). */
  private async dropGroup(): Promise<boolean> {
    const { supervisor, app } = this.options;
    const { removed } = await supervisor.reloadConfig();
    if (!removed.includes(app)) return false;
    await supervisor.stopProcessGroup(app, true).catch((error: unknown) => {
      if (!isFault(error, 'BAD_NAME')) throw error;
    });
    await supervisor.removeProcessGroup(app);
    return true;
  }

  /** As the login where it may write the include directory (a supervisord of its own), else as root. */
  private onIncludeDir(step: string, script: string): Promise<void> {
    return this.options.session.runWhereWritable(step, this.options.supervisor.layout.includeDir, script);
  }

  /** `rm -rf` of the root as the login; files it cannot remove (root's, e.g. an adopted conf's copy) as root. */
  private async purge(root: string): Promise<void> {
    const { session } = this.options;
    const own = await session.script('purge', purgeCommand(root));
    if (own.code === 0) return;
    if (!session.mayRunAsRoot) throw new RemoteStepError(this.host, 'purge', own, failureDetail(own));
    await session.runAsRoot('purge', purgeCommand(root));
  }

  private entry(plan: RemovalPlan): RecordEntry {
    const { owner, app, session } = this.options;
    return {
      v: 1,
      at: new Date().toISOString(),
      run: owner.token,
      action: 'remove',
      outcome: 'removed',
      app,
      previousRelease: plan.state.current,
      ...(plan.conf === null ? {} : { confDigest: confDigest(plan.conf) }),
      by: { login: session.host.user, user: owner.user, machine: owner.machine, pid: owner.pid },
    };
  }
}

/** What `plan` would do, one line each (the dry run, and what a real run is about to do). */
export function removalSteps(plan: RemovalPlan, app: string, purge: boolean): string[] {
  const steps: string[] = [];
  if (plan.state.lockOwner !== undefined) steps.push(`locked: ${plan.state.lockOwner}`);
  if (plan.processes.length > 0) {
    const shown = plan.processes.map((p) => `${qualifiedName(p)} ${p.statename}${p.pid ? ` pid ${p.pid}` : ''}`);
    steps.push(`stop ${shown.join(', ')}`);
  }
  if (plan.conf !== null) steps.push(`remove ${plan.confPath}`);
  if (plan.processes.length > 0) steps.push(`drop group ${app} from supervisord`);
  if (plan.root !== undefined && plan.rootExists)
    steps.push(purge ? `purge ${plan.root}` : `record the removal in ${recordPath({ root: plan.root })}`);
  return steps;
}

/** Nothing of the app on the host: no conf, no group, no root to purge. */
export function nothingToRemove(plan: RemovalPlan, purge: boolean): boolean {
  return plan.conf === null && plan.processes.length === 0 && !(purge && plan.rootExists);
}
