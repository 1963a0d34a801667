// One app across many hosts: stage everywhere first (nothing live changes), then switch; locks always released.
import { createTwoFilesPatch } from 'diff';
import type { HostOutcome } from '../orchestration/run-on-hosts.ts';
import { runOnHosts } from '../orchestration/run-on-hosts.ts';
import { planBatches, runRolling } from '../orchestration/rolling.ts';
import type { Amount } from '../units/amount.ts';
import type { FleetHost } from '../orchestration/supervisor-run.ts';
import { HostShell, RemoteStepError } from '../ssh/host-shell.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { openSupervisor } from '../supervisor/open.ts';
import { uploadChunksPerHost } from './upload-window.ts';
import type { PreparedArtifact } from './artifact.ts';
import type { DeployAppSpec, HostPlan, StepReporter } from './host-deploy.ts';
import { HostDeploy } from './host-deploy.ts';
import type { LockOwner } from './lock.ts';
import { describeOwner } from './lock.ts';
import { isReleaseId, previousRelease } from './releases.ts';

export type DeployResultKind =
  | 'deployed'
  | 'config updated'
  | 'unchanged'
  | 'failed'
  | 'rolled back'
  | 'skipped'
  | 'unreachable'
  | 'would change'
  | 'would not change';

export interface HostDeployResult {
  host: string;
  app: string;
  result: DeployResultKind;
  /** The release the host runs now (or would run, in a dry run). */
  release: string | undefined;
  previousRelease: string | undefined;
  uploadedBytes: number;
  restarted: boolean;
  pruned: string[];
  durationMs: number;
  error?: string;
  /** Dry run only: what would change. */
  dryRun?: { confDiff: string; programs: string[]; lockHeldBy?: string };
}

export interface DeployEvent {
  host: string;
  app: string;
  step: string;
  detail?: string | undefined;
}

/** What every per-app, per-host operation needs. */
export interface HostOptions<H extends FleetHost = FleetHost> {
  pool: ConnectionPool;
  hosts: readonly H[];
  appFor: (host: H) => DeployAppSpec;
  renderConf: (host: H, release: string) => string;
  owner: LockOwner;
  now: Date;
  forceUnlock: boolean;
  concurrency: number;
  onEvent?: (event: DeployEvent) => void;
  /** Each host's result as it is decided (a host reverted with its batch reports twice). */
  onHostDone?: (result: HostDeployResult) => void;
  onBatch?: (index: number, total: number, hosts: readonly string[]) => void;
}

export interface DeployAppOptions<H extends FleetHost = FleetHost> extends HostOptions<H> {
  artifact: PreparedArtifact;
  /** True once the user asked to stop (Ctrl-C): nothing more is switched; staged hosts are unlocked and skipped. */
  stopRequested?: () => boolean;
  /** Switch batch by batch (stage still happens everywhere first); absent = all staged hosts at once. */
  rolling?: { batch: Amount; canary: number; pauseMs: number } | undefined;
  /** Hosts that may fail staging (or be unreachable) before the deploy stops short of switching. */
  maxFail: number;
}

interface Staged<H> {
  deploy: HostDeploy;
  plan: HostPlan;
  host: H;
}

function reporter<H extends FleetHost>(options: HostOptions<H>, host: H, app: string): StepReporter {
  return (step, detail) => options.onEvent?.({ host: host.name, app, step, detail });
}

async function openHost<H extends FleetHost>(
  options: HostOptions<H>,
  host: H,
  artifact: PreparedArtifact | undefined,
): Promise<HostDeploy> {
  const connection = await options.pool.get(host);
  const client = await openSupervisor(connection, host);
  const app = options.appFor(host);
  const uploading = Math.min(options.hosts.length, options.concurrency);
  return new HostDeploy(
    new HostShell(connection, host),
    client,
    app,
    artifact,
    (release) => options.renderConf(host, release),
    reporter(options, host, app.name),
    uploadChunksPerHost(uploading),
  );
}

/** Releases the lock, over a new connection if the old one died (so that the next deploy is not blocked). */
async function release<H extends FleetHost>(
  options: HostOptions<H>,
  staged: { deploy: HostDeploy; host: H },
): Promise<string | undefined> {
  if (!staged.deploy.holdsLock) return undefined;
  try {
    await staged.deploy.unlock(options.owner);
    return undefined;
  } catch {
    try {
      const connection = await options.pool.reconnect(staged.host);
      await staged.deploy.unlock(options.owner, new HostShell(connection, staged.host));
      return undefined;
    } catch (error) {
      return `the lock ${staged.deploy.paths.lockDir} is left on ${staged.host.name} (${(error as Error).message}); remove it with --force-unlock`;
    }
  }
}

export async function deployApp<H extends FleetHost>(options: DeployAppOptions<H>): Promise<HostDeployResult[]> {
  const started = new Map<string, number>(options.hosts.map((h) => [h.name, performance.now()]));
  const appName = options.hosts[0] ? options.appFor(options.hosts[0]).name : '';
  const base = (host: string): Omit<HostDeployResult, 'result'> => ({
    host,
    app: appName,
    release: undefined,
    previousRelease: undefined,
    uploadedBytes: 0,
    restarted: false,
    pruned: [],
    durationMs: 0,
  });
  const opened = new Map<string, HostDeploy>();

  // Stage: lock, read, upload what is missing, unpack. A host that fails here has nothing live changed.
  const stage = await runOnHosts(
    options.hosts,
    { concurrency: options.concurrency },
    async (host): Promise<{ value: Staged<H>; ok: boolean }> => {
      const deploy = await openHost(options, host, options.artifact);
      opened.set(host.name, deploy);
      options.onEvent?.({ host: host.name, app: appName, step: 'lock' });
      await deploy.lock(options.owner, options.forceUnlock);
      const plan = await deploy.inspect(options.now);
      await deploy.stage(plan);
      options.onEvent?.({ host: host.name, app: appName, step: 'staged', detail: plan.release });
      return { value: { deploy, plan, host }, ok: true };
    },
  );
  const results = new Map<string, HostDeployResult>();
  const finish = (host: string, result: Partial<HostDeployResult> & { result: DeployResultKind }) => {
    const done = { ...base(host), ...result, durationMs: Math.round(performance.now() - (started.get(host) ?? 0)) };
    results.set(host, done);
    options.onHostDone?.(done);
  };
  const failedToStage = stage.outcomes.filter((o) => o.status !== 'ok');
  for (const o of failedToStage) {
    const deploy = opened.get(o.host);
    const host = options.hosts.find((h) => h.name === o.host);
    const lockNote = deploy && host ? await release(options, { deploy, host }) : undefined;
    finish(o.host, {
      result: o.status === 'unreachable' ? 'unreachable' : 'failed',
      error: [o.error?.message, lockNote].filter(Boolean).join('; '),
    });
  }
  const staged = stage.outcomes
    .filter((o): o is HostOutcome<Staged<H>> & { value: Staged<H> } => o.status === 'ok' && o.value !== undefined)
    .map((o) => o.value);

  const interrupted = options.stopRequested?.() ?? false;
  if (failedToStage.length > options.maxFail || interrupted) {
    const why = interrupted
      ? 'not switched: interrupted (Ctrl-C) after staging'
      : 'not switched: staging failed on ' + failedToStage.map((o) => o.host).join(', ');
    for (const s of staged) {
      const lockNote = await release(options, s);
      finish(s.host.name, {
        result: 'skipped',
        release: s.plan.previousRelease,
        previousRelease: s.plan.previousRelease,
        error: [why, lockNote].filter(Boolean).join('; '),
      });
    }
    return order(options, results);
  }

  // Switch, batch by batch: a host whose new release does not come up goes back to its previous one; when the run's
  // failure budget is spent, the rest of that batch goes back too and later batches are not touched.
  const switched = new Map<string, Staged<H>>();
  const batches = options.rolling ? planBatches(staged, options.rolling.batch, options.rolling.canary) : [staged];
  const run = await runRolling(
    batches.map((b) => b.map((s) => ({ ...s, name: s.host.name }))),
    {
      pauseMs: options.rolling?.pauseMs ?? 0,
      maxFail: options.maxFail,
      alreadyFailed: failedToStage.length,
      concurrency: options.concurrency,
      ...(options.stopRequested ? { stopRequested: options.stopRequested } : {}),
      onBatch: (index, names) => {
        if (options.rolling) options.onBatch?.(index, batches.length, names);
      },
      afterBatch: async (outcomes, stopping) => {
        for (const o of outcomes) {
          const s = switched.get(o.host);
          if (!s) continue;
          if (stopping && o.status === 'ok' && results.get(o.host)?.result !== 'unchanged') {
            try {
              await s.deploy.revert(s.plan);
              finish(o.host, {
                result: 'rolled back',
                release: s.plan.previousRelease,
                previousRelease: s.plan.previousRelease,
                uploadedBytes: s.plan.uploadBytes,
                restarted: true,
                error: 'its batch failed the health gate',
              });
            } catch (error) {
              finish(o.host, {
                result: 'failed',
                release: s.plan.release,
                previousRelease: s.plan.previousRelease,
                restarted: true,
                error: `its batch failed; revert failed: ${(error as Error).message}`,
              });
            }
          }
          const lockNote = await release(options, s);
          const current = results.get(o.host);
          if (lockNote && current)
            results.set(o.host, { ...current, error: [current.error, lockNote].filter(Boolean).join('; ') });
        }
      },
    },
    async (s) => {
      const { deploy, plan } = s;
      switched.set(s.host.name, s);
      const common = { previousRelease: plan.previousRelease, uploadedBytes: plan.uploadBytes };
      try {
        const outcome = await deploy.switch(plan);
        const pruned = await deploy.prune(plan);
        const kind: DeployResultKind = plan.releaseChanged
          ? 'deployed'
          : plan.confChanged
            ? 'config updated'
            : 'unchanged';
        finish(s.host.name, { ...common, result: kind, release: plan.release, restarted: outcome.restarted, pruned });
        return { value: null, ok: true };
      } catch (error) {
        const message = (error as Error).message;
        let kind: DeployResultKind = 'failed';
        let now: string | undefined = plan.release;
        let revertNote = '';
        if (plan.previousRelease !== undefined || plan.confChanged) {
          try {
            await deploy.revert(plan);
            kind = 'rolled back';
            now = plan.previousRelease;
          } catch (revertError) {
            revertNote = `; revert failed: ${(revertError as Error).message}`;
          }
        }
        finish(s.host.name, {
          ...common,
          result: kind,
          release: now,
          restarted: true,
          error: `${message}${revertNote}`,
        });
        return { value: null, ok: false };
      }
    },
  );
  for (const o of run.outcomes.filter((x) => x.status === 'skipped')) {
    const s = staged.find((x) => x.host.name === o.host);
    if (!s) continue;
    const lockNote = await release(options, s);
    const why =
      run.stopReason === 'interrupted' ? 'not touched: interrupted (Ctrl-C)' : 'not touched: the rollout stopped';
    finish(o.host, {
      result: 'skipped',
      release: s.plan.previousRelease,
      previousRelease: s.plan.previousRelease,
      error: [why, lockNote].filter(Boolean).join('; '),
    });
  }
  return order(options, results);
}

/** The result of a host whose work threw before it could say more (unreachable, or failed early). */
function unfinished(o: HostOutcome<unknown>): HostDeployResult {
  return {
    host: o.host,
    app: '',
    result: o.status === 'unreachable' ? 'unreachable' : 'failed',
    release: undefined,
    previousRelease: undefined,
    uploadedBytes: 0,
    restarted: false,
    pruned: [],
    durationMs: o.durationMs,
    error: o.error?.message ?? '',
  };
}

function order<H extends FleetHost>(
  options: HostOptions<H>,
  results: Map<string, HostDeployResult>,
): HostDeployResult[] {
  return options.hosts.map((h) => results.get(h.name)).filter((r): r is HostDeployResult => r !== undefined);
}

/** What a deploy would do on each host, read without taking locks or writing anything. */
export async function planApp<H extends FleetHost>(options: DeployAppOptions<H>): Promise<HostDeployResult[]> {
  const { outcomes } = await runOnHosts(options.hosts, { concurrency: options.concurrency }, async (host) => {
    const deploy = await openHost(options, host, options.artifact);
    const plan = await deploy.inspect(options.now);
    const group = (await deploy.client.getAllProcessInfo())
      .filter((p) => p.group === deploy.app.name)
      .map((p) => (p.name === p.group ? p.name : `${p.group}:${p.name}`));
    const changes = plan.releaseChanged || plan.confChanged;
    const result: HostDeployResult = {
      host: host.name,
      app: deploy.app.name,
      result: changes ? 'would change' : 'would not change',
      release: plan.release,
      previousRelease: plan.previousRelease,
      uploadedBytes: plan.uploadBytes,
      restarted: changes,
      pruned: [],
      durationMs: 0,
      dryRun: {
        confDiff: plan.confChanged
          ? createTwoFilesPatch(
              deploy.paths.confPath,
              deploy.paths.confPath,
              plan.previousConf ?? '',
              plan.conf,
              'on the host',
              'this deploy',
            )
          : '',
        programs: changes ? (group.length > 0 ? group : [`${deploy.app.name}:* (new)`]) : [],
        ...(plan.state.lockOwner ? { lockHeldBy: describeOwner(plan.state.lockOwner) } : {}),
      },
    };
    return { value: result, ok: true };
  });
  return outcomes.map((o) => o.value ?? unfinished(o));
}

export interface RollbackOptions<H extends FleetHost = FleetHost> extends HostOptions<H> {
  /** A release id to go back to; default: the one before `current`. */
  to?: string | undefined;
}

/** Points each host back at an earlier release, restarts, verifies; a host that fails returns to where it was. */
export async function rollbackApp<H extends FleetHost>(options: RollbackOptions<H>): Promise<HostDeployResult[]> {
  const { outcomes } = await runOnHosts(
    options.hosts,
    { concurrency: options.concurrency },
    async (host): Promise<{ value: HostDeployResult; ok: boolean }> => {
      const started = performance.now();
      const deploy = await openHost(options, host, undefined);
      const app = deploy.app.name;
      await deploy.lock(options.owner, options.forceUnlock);
      try {
        const state = await deploy.readState();
        const releases = state.entries.filter(isReleaseId).sort();
        const target = options.to ?? previousRelease(releases, state.current);
        if (target === undefined || !releases.includes(target)) {
          const what = options.to
            ? `release ${options.to} is not on the host`
            : `no release before ${state.current ?? '(none)'}`;
          throw new RemoteStepError(
            host.name,
            'rollback',
            undefined,
            `${what}; releases there: ${releases.join(', ') || 'none'}`,
          );
        }
        const plan = deploy.planFor(state, target);
        const base = { host: host.name, app, previousRelease: state.current, uploadedBytes: 0, pruned: [] as string[] };
        try {
          const outcome = await deploy.switch(plan);
          return {
            value: {
              ...base,
              result: plan.releaseChanged ? 'deployed' : 'unchanged',
              release: target,
              restarted: outcome.restarted,
              durationMs: Math.round(performance.now() - started),
            },
            ok: true,
          };
        } catch (error) {
          await deploy.revert(plan);
          return {
            value: {
              ...base,
              result: 'rolled back',
              release: state.current,
              restarted: true,
              durationMs: Math.round(performance.now() - started),
              error: (error as Error).message,
            },
            ok: false,
          };
        }
      } finally {
        const note = await release(options, { deploy, host });
        if (note) options.onEvent?.({ host: host.name, app, step: 'warning', detail: note });
      }
    },
  );
  return outcomes.map((o) => o.value ?? unfinished(o));
}
