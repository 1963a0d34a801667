// The deploy engine's logic without SSH: each host is a fake AppOnHost that records its steps and fails on demand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeployAppSpec } from '../../../src/deploy/app-spec.ts';
import type { EngineOptions, Rollout } from '../../../src/deploy/engine.ts';
import { deployApp } from '../../../src/deploy/engine.ts';
import { batchHookEnv, hookCommand } from '../../../src/deploy/hooks.ts';
import type { AppOnHost, HostPlan, SwitchOutcome } from '../../../src/deploy/host-deploy.ts';
import type { RemoteState } from '../../../src/deploy/remote-state.ts';
import type { DeployOutcome } from '../../../src/deploy/results.ts';
import { blankResult, summarizeDeploy } from '../../../src/deploy/results.ts';
import { SshError } from '../../../src/ssh/errors.ts';
import type { HostConfig } from '../../../src/inventory/types.ts';

type Step =
  | 'open'
  | 'lock'
  | 'inspect'
  | 'stage'
  | 'runOnce'
  | 'beforeBatch'
  | 'afterBatch'
  | 'switch'
  | 'revert'
  | 'prune'
  | 'unlock';

const app: DeployAppSpec = {
  name: 'hello',
  root: '/srv/hello',
  keepReleases: 5,
  programs: ['web'],
  logDir: '/srv/hello/shared/log',
  hooks: {},
  gate: { startTimeoutMs: 1000, settleMs: 0 },
};

/** One host's fake: what it has (current release, conf), which step fails, and how long its switch takes. */
interface FakeHost {
  current?: string;
  /** The new release is already what the host runs: nothing to switch. */
  same?: boolean;
  failAt?: Step;
  unreachable?: boolean;
  switchMs?: number;
  /** The release and conf are as deployed, but the host does not run what was verified (the record says so). */
  unverified?: boolean;
  /** Where a rollback goes (the record's previous verified release); absent = nowhere. */
  rollbackTo?: string;
  /** The conf on the host is an administrator's. */
  foreignConf?: boolean;
  /** The ownership pass read that nothing changes here (`same`, verified, no lock): no lock, no staging. */
  asRead?: boolean;
}

class FakeApp implements AppOnHost {
  readonly app = app;
  readonly confPath = '/etc/supervisor/conf.d/hello.conf';
  holdsLock = false;

  constructor(
    readonly host: string,
    private readonly fake: FakeHost,
    private readonly log: string[],
  ) {}

  private async step(step: Step): Promise<void> {
    this.log.push(`${this.host} ${step}`);
    if (this.fake.failAt === step) throw new Error(`${this.host}: ${step} failed: on purpose`);
  }

  async lock() {
    await this.step('lock');
    this.holdsLock = true;
  }
  async unchangedAsRead(): Promise<HostPlan | undefined> {
    if (!this.fake.asRead) return undefined;
    this.log.push(`${this.host} asRead`);
    return this.planFor(this.readState(), this.fake.current ?? 'r0');
  }
  async inspect(): Promise<HostPlan> {
    await this.step('inspect');
    return this.planFor(this.readState(), this.fake.same ? (this.fake.current ?? 'r0') : 'r2');
  }
  async rollbackPlan(): Promise<HostPlan> {
    await this.step('inspect');
    if (!this.fake.rollbackTo) throw new Error(`${this.host}: rollback failed: no release was verified before`);
    return this.planFor(this.readState(), this.fake.rollbackTo);
  }
  readState(): RemoteState {
    const entries = this.fake.current ? [this.fake.current] : [];
    return {
      current: this.fake.current,
      entries,
      artifactCached: false,
      conf: 'conf',
      lockOwner: undefined,
      record: [],
      clashes: [],
    };
  }
  planFor(state: RemoteState, release: string): HostPlan {
    const releaseChanged = release !== state.current;
    const converge = !releaseChanged && this.fake.unverified ? 'web:web restarted since' : undefined;
    return {
      release,
      converge,
      previousRelease: state.current,
      releaseChanged,
      releaseExists: !releaseChanged,
      uploadBytes: releaseChanged ? 100 : 0,
      conf: 'conf',
      previousConf: 'conf',
      confChanged: false,
      adopting: false,
      state,
    };
  }
  async stage() {
    await this.step('stage');
  }
  async switch(): Promise<SwitchOutcome> {
    await this.step('switch');
    if (this.fake.switchMs) await new Promise((r) => setTimeout(r, this.fake.switchMs));
    return { group: 'unchanged', restarted: true };
  }
  async revert() {
    await this.step('revert');
  }
  async runOnce() {
    await this.step('runOnce');
  }
  async batchHook(hook: 'beforeBatch' | 'afterBatch') {
    await this.step(hook);
  }
  async prune() {
    await this.step('prune');
    return [];
  }
  async unlock() {
    await this.step('unlock');
    this.holdsLock = false;
  }
  async ownership(adopt: boolean) {
    this.log.push(`${this.host} ownership`);
    return this.fake.foreignConf && !adopt ? [`${this.host}: ${this.confPath} was not written by Convoy`] : [];
  }
  async programs() {
    return ['hello:web'];
  }
}

function fleet(spec: Record<string, FakeHost>, extra: Partial<EngineOptions> = {}) {
  const log: string[] = [];
  const hosts = Object.keys(spec).map((name, i) => ({ name, address: `10.0.0.${i + 1}` }) as HostConfig);
  const options: EngineOptions = {
    hosts,
    app: 'hello',
    now: new Date('2026-12-02T00:00:00Z'),
    concurrency: 10,
    open: async (host) => {
      const fake = spec[host.name] ?? {};
      log.push(`${host.name} open`);
      if (fake.unreachable) throw new SshError('refused', host.name, `${host.name}: connection refused`);
      return new FakeApp(host.name, fake, log);
    },
    ...extra,
  };
  return { log, options };
}

const allAtOnce: Rollout = { maxFail: 0 };
const steps = (log: readonly string[], host: string) =>
  log.filter((l) => l.startsWith(`${host} `)).map((l) => l.slice(host.length + 1));
const outcomes = (results: { host: string; outcome: string }[]) =>
  Object.fromEntries(results.map((r) => [r.host, r.outcome]));

test('stages on every host before any host switches, then prunes and unlocks each', async () => {
  const { log, options } = fleet({ a: { current: 'r1' }, b: { current: 'r1' }, c: {} });
  const results = await deployApp(options, allAtOnce);
  const lastStage = Math.max(...log.map((l, i) => (l.endsWith(' stage') ? i : -1)));
  const firstSwitch = log.findIndex((l) => l.endsWith(' switch'));
  assert.ok(lastStage < firstSwitch, log.join('\n'));
  assert.deepEqual(outcomes(results), { a: 'deployed', b: 'deployed', c: 'deployed' });
  assert.deepEqual(steps(log, 'a'), ['open', 'lock', 'inspect', 'stage', 'switch', 'prune', 'unlock']);
  assert.equal(results[0]?.previousRelease, 'r1');
  assert.equal(results[0]?.release, 'r2');
});

test('a host with nothing to change, as the ownership pass read it, takes no lock and stages nothing (its switch and prune do nothing there)', async () => {
  const { log, options } = fleet({ a: { current: 'r1', same: true, asRead: true }, b: { current: 'r1' } });
  const results = await deployApp(options, {
    maxFail: 0,
    batches: { batch: { kind: 'count', value: 1 }, canary: 0, pauseMs: 0 },
  });
  assert.deepEqual(outcomes(results), { a: 'unchanged', b: 'deployed' });
  assert.deepEqual(steps(log, 'a'), ['open', 'asRead', 'switch', 'prune']);
  assert.deepEqual(steps(log, 'b'), ['open', 'lock', 'inspect', 'stage', 'switch', 'prune', 'unlock']);
});

test('a rollback never answers a host from the pre-lock read', async () => {
  const { log, options } = fleet({ a: { current: 'r1', rollbackTo: 'r0', asRead: true } }, { action: 'rollback' });
  await deployApp(options, allAtOnce);
  assert.ok(!log.includes('a asRead'), log.join('\n'));
});

test('a host that cannot stage stops the deploy before anything switches; staged hosts are unlocked and skipped', async () => {
  const { log, options } = fleet({ a: { current: 'r1' }, b: { current: 'r1', failAt: 'stage' }, c: { current: 'r1' } });
  const results = await deployApp(options, allAtOnce);
  assert.ok(!log.some((l) => l.endsWith(' switch')), log.join('\n'));
  assert.deepEqual(outcomes(results), { a: 'skipped', b: 'failed', c: 'skipped' });
  for (const host of ['a', 'b', 'c']) assert.equal(steps(log, host).at(-1), 'unlock', host);
  assert.match(results[0]?.error ?? '', /not switched: staging failed on b/);
  assert.equal(results[0]?.release, 'r1');
});

test('--max-fail absorbs a host that could not stage (or be reached); the others switch', async () => {
  const { options } = fleet({ a: { current: 'r1' }, b: { failAt: 'stage' }, c: { unreachable: true }, d: {} });
  const results = await deployApp(options, { maxFail: 2 });
  assert.deepEqual(outcomes(results), { a: 'deployed', b: 'failed', c: 'unreachable', d: 'deployed' });
});

test('a host whose switch fails goes back to its previous release; one with none to go back to stays failed', async () => {
  const { log, options } = fleet({
    a: { current: 'r1', failAt: 'switch' },
    b: { failAt: 'switch' },
    c: { current: 'r1' },
  });
  const results = await deployApp(options, { maxFail: 5 });
  assert.deepEqual(outcomes(results), { a: 'reverted', b: 'failed', c: 'deployed' });
  assert.deepEqual(steps(log, 'a').slice(-2), ['revert', 'unlock']);
  assert.ok(!steps(log, 'b').includes('revert'));
  assert.equal(results[0]?.release, 'r1', 'a reverted host runs its previous release');
  assert.match(results[0]?.error ?? '', /switch failed: on purpose/);
});

test('rolling: batches switch in order; when the budget is spent the batch goes back and later batches are untouched', async () => {
  const spec: Record<string, FakeHost> = {};
  for (const name of ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']) spec[name] = { current: 'r1' };
  spec.h4 = { current: 'r1', failAt: 'switch' };
  const batches: string[][] = [];
  const { log, options } = fleet(spec, { listener: { batch: (_i, _n, hosts) => batches.push([...hosts]) } });
  const results = await deployApp(options, {
    maxFail: 0,
    batches: { batch: { kind: 'count', value: 2 }, canary: 1, pauseMs: 0 },
  });
  assert.deepEqual(batches, [['h1'], ['h2', 'h3'], ['h4', 'h5']]);
  assert.deepEqual(outcomes(results), {
    h1: 'deployed',
    h2: 'deployed',
    h3: 'deployed',
    h4: 'reverted',
    h5: 'reverted',
    h6: 'skipped',
  });
  assert.match(results[4]?.error ?? '', /its batch failed/);
  assert.ok(!steps(log, 'h6').includes('switch'));
  assert.equal(steps(log, 'h6').at(-1), 'unlock', 'a skipped host is unlocked');
  assert.ok(log.indexOf('h3 switch') < log.indexOf('h4 switch'));
});

test('a host already on the new release is not reverted with its batch', async () => {
  const { log, options } = fleet({
    a: { current: 'r2', same: true },
    b: { current: 'r1', failAt: 'switch' },
    c: { current: 'r1' },
  });
  const results = await deployApp(options, {
    maxFail: 0,
    batches: { batch: { kind: 'count', value: 2 }, canary: 0, pauseMs: 0 },
  });
  assert.deepEqual(outcomes(results), { a: 'unchanged', b: 'reverted', c: 'skipped' });
  assert.ok(!steps(log, 'a').includes('revert'));
});

test('a stop asked for while staging (Ctrl-C) switches nothing; every host is unlocked and skipped', async () => {
  let stop = false;
  const { log, options } = fleet({ a: { current: 'r1' }, b: { current: 'r1' } }, { stopRequested: () => stop });
  options.open = ((open) => async (host: HostConfig) => {
    stop = true;
    return open(host);
  })(options.open);
  const results = await deployApp(options, allAtOnce);
  assert.deepEqual(outcomes(results), { a: 'skipped', b: 'skipped' });
  assert.ok(!log.some((l) => l.endsWith(' switch')));
  assert.match(results[0]?.error ?? '', /interrupted \(Ctrl-C\) after staging/);
});

test('a lock that cannot be released is said in the host result', async () => {
  const { options } = fleet({ a: { current: 'r1', failAt: 'unlock' } });
  const [result] = await deployApp(options, allAtOnce);
  assert.equal(result?.outcome, 'deployed');
  assert.match(result?.error ?? '', /unlock failed: on purpose/);
});

test("each host's time is its own work, not the wait for earlier batches", async () => {
  const { options } = fleet({ a: { current: 'r1', switchMs: 300 }, b: { current: 'r1' } });
  const results = await deployApp(options, {
    maxFail: 0,
    batches: { batch: { kind: 'count', value: 1 }, canary: 0, pauseMs: 300 },
  });
  const [a, b] = results;
  assert.ok((a?.durationMs ?? 0) >= 290, `a spent ${a?.durationMs} ms`);
  assert.ok(
    (b?.durationMs ?? 0) < 250,
    `b waited for a's batch and the pause, but its own work is short: ${b?.durationMs} ms`,
  );
});

test('the summary counts a deploy as every command does: reverted is failed, skipped is skipped', () => {
  const results = ['deployed', 'unchanged', 'reverted', 'failed', 'skipped', 'skipped', 'unreachable'].map(
    (outcome, i) => ({ ...blankResult(`h${i}`, 'hello', outcome as DeployOutcome) }),
  );
  assert.deepEqual(summarizeDeploy(results, 1234), {
    total: 7,
    ok: 2,
    failed: 2,
    unreachable: 1,
    skipped: 2,
    durationMs: 1234,
  });
});

test('all at once: when one host fails and the budget is spent, every host that switched goes back', async () => {
  const spec: Record<string, FakeHost> = {};
  for (const name of ['h1', 'h2', 'h3', 'h4', 'h5']) spec[name] = { current: 'r1' };
  spec.h3 = { current: 'r1', failAt: 'switch' };
  const { log, options } = fleet(spec);
  const results = await deployApp(options, allAtOnce);
  assert.deepEqual(outcomes(results), {
    h1: 'reverted',
    h2: 'reverted',
    h3: 'reverted',
    h4: 'reverted',
    h5: 'reverted',
  });
  for (const host of Object.keys(spec)) assert.ok(steps(log, host).includes('revert'), host);
  assert.ok(results.every((r) => r.release === 'r1'));
});

test('rolling: the last batch goes back too when it spends the budget', async () => {
  const { options } = fleet({ a: { current: 'r1' }, b: { current: 'r1' }, c: { current: 'r1', failAt: 'switch' } });
  const results = await deployApp(options, {
    maxFail: 0,
    batches: { batch: { kind: 'count', value: 2 }, canary: 0, pauseMs: 0 },
  });
  assert.deepEqual(outcomes(results), { a: 'deployed', b: 'deployed', c: 'reverted' });
  const last = await deployApp(
    fleet({ a: { current: 'r1' }, b: { current: 'r1', failAt: 'switch' }, c: { current: 'r1' } }).options,
    { maxFail: 0, batches: { batch: { kind: 'count', value: 2 }, canary: 0, pauseMs: 0 } },
  );
  assert.deepEqual(outcomes(last), { a: 'reverted', b: 'reverted', c: 'skipped' });
  const lastBatch = await deployApp(
    fleet({ a: { current: 'r1' }, b: { current: 'r1' }, c: { current: 'r1', failAt: 'switch' }, d: { current: 'r1' } })
      .options,
    { maxFail: 0, batches: { batch: { kind: 'count', value: 2 }, canary: 0, pauseMs: 0 } },
  );
  assert.deepEqual(outcomes(lastBatch), { a: 'deployed', b: 'deployed', c: 'reverted', d: 'reverted' });
});

test('a stop asked for while hosts wait their turn to stage (-c): those hosts are not started at all', async () => {
  let stop = false;
  const spec = { a: { current: 'r1' }, b: { current: 'r1' }, c: { current: 'r1' } };
  const { log, options } = fleet(spec, { concurrency: 1, stopRequested: () => stop });
  const open = options.open;
  options.open = async (host) => {
    stop = true;
    return open(host);
  };
  const results = await deployApp(options, allAtOnce);
  assert.deepEqual(outcomes(results), { a: 'skipped', b: 'skipped', c: 'skipped' });
  assert.deepEqual(steps(log, 'b'), [], 'b never started');
  assert.match(results[1]?.error ?? '', /not staged: interrupted/);
});

test('a prune that fails after a healthy switch is a note, not a reason to go back', async () => {
  const { log, options } = fleet({ a: { current: 'r1', failAt: 'prune' } });
  const [result] = await deployApp(options, allAtOnce);
  assert.equal(result?.outcome, 'deployed');
  assert.match(result?.error ?? '', /prune failed: on purpose/);
  assert.ok(!steps(log, 'a').includes('revert'));
});

test('a host whose release and conf are as deployed but not what was verified converges: restarted and verified', async () => {
  const { log, options } = fleet({
    a: { current: 'r2', same: true, unverified: true },
    b: { current: 'r2', same: true },
  });
  const results = await deployApp(options, allAtOnce);
  assert.deepEqual(outcomes(results), { a: 'converged', b: 'unchanged' });
  assert.ok(steps(log, 'a').includes('switch'));
});

test('rollback runs through the same engine: batches, the budget, and a host that cannot roll back fails alone', async () => {
  const { log, options } = fleet(
    { a: { current: 'r2', rollbackTo: 'r1' }, b: { current: 'r2' }, c: { current: 'r2', rollbackTo: 'r1' } },
    { action: 'rollback' },
  );
  const results = await deployApp(options, { maxFail: 1 });
  assert.deepEqual(outcomes(results), { a: 'rolled-back', b: 'failed', c: 'rolled-back' });
  assert.match(results[1]?.error ?? '', /no release was verified before/);
  assert.equal(results[0]?.release, 'r1');
  assert.deepEqual(steps(log, 'b'), ['open', 'lock', 'inspect', 'unlock'], 'b switched nothing and kept no lock');
});

// Run-once and batch hooks (docs/tasks.md, "hooks"; docs/deploy.md for where they run).

const runOnce = { hook: 'beforeSwitchOnce' as const, hosts: ['a', 'b', 'c'] };
const twoByTwo: Rollout = { maxFail: 0, batches: { batch: { kind: 'count', value: 2 }, canary: 0, pauseMs: 0 } };

test('run-once: exactly one host runs it, the first that staged, after every stage and before any switch', async () => {
  const { log, options } = fleet({ a: { failAt: 'stage' }, b: { current: 'r1' }, c: { current: 'r1' } }, { runOnce });
  const results = await deployApp(options, { maxFail: 1 });
  assert.deepEqual(
    log.filter((l) => l.endsWith(' runOnce')),
    ['b runOnce'],
  );
  const ranAt = log.indexOf('b runOnce');
  assert.ok(log.findLastIndex((l) => l.endsWith(' stage')) < ranAt, log.join('\n'));
  assert.ok(log.findIndex((l) => l.endsWith(' switch')) > ranAt, log.join('\n'));
  assert.deepEqual(outcomes(results), { a: 'failed', b: 'deployed', c: 'deployed' });
  assert.deepEqual(
    results.map((r) => r.ranOnce),
    [undefined, 'beforeSwitchOnce', undefined],
  );
});

test('run-once: a named host or group runs it (its first host that staged); said as a step', async () => {
  const said: string[] = [];
  const { log, options } = fleet(
    { a: { current: 'r1' }, b: { current: 'r1' }, c: { current: 'r1' } },
    {
      runOnce: { hook: 'beforeSwitchOnce', hosts: ['c', 'b'] },
      listener: { step: (host, _app, step, detail) => said.push(`${host} ${step} ${detail}`) },
    },
  );
  await deployApp(options, allAtOnce);
  assert.deepEqual(
    log.filter((l) => l.endsWith(' runOnce')),
    ['c runOnce'],
  );
  assert.ok(said.includes('c beforeSwitchOnce runs once for the deploy, on this host'), said.join('\n'));
});

test('run-once: its failure switches nothing; that host fails, the others are skipped, every lock is released', async () => {
  const { log, options } = fleet(
    { a: { current: 'r1', failAt: 'runOnce' }, b: { current: 'r1' }, c: { current: 'r1' } },
    { runOnce },
  );
  const results = await deployApp(options, { maxFail: 5 });
  assert.ok(!log.some((l) => l.endsWith(' switch')), log.join('\n'));
  assert.deepEqual(outcomes(results), { a: 'failed', b: 'skipped', c: 'skipped' });
  assert.match(results[0]?.error ?? '', /beforeSwitchOnce failed: a: runOnce failed: on purpose/);
  assert.match(results[1]?.error ?? '', /not switched: beforeSwitchOnce failed on a/);
  assert.equal(results[0]?.ranOnce, undefined, 'the failure says where; nothing says it ran');
  assert.ok(results.every((r) => r.release === 'r1'));
  for (const host of ['a', 'b', 'c']) assert.equal(steps(log, host).at(-1), 'unlock', host);
});

test('run-once: not run by a rollback, nor by a deploy that changes no release; none of its hosts staged: nothing switches', async () => {
  const back = fleet({ a: { current: 'r2', rollbackTo: 'r1' } }, { runOnce, action: 'rollback' });
  await deployApp(back.options, allAtOnce);
  assert.ok(!back.log.some((l) => l.endsWith(' runOnce')));
  const same = fleet({ a: { current: 'r2', same: true } }, { runOnce });
  await deployApp(same.options, allAtOnce);
  assert.ok(!same.log.some((l) => l.endsWith(' runOnce')));
  const none = fleet(
    { a: { current: 'r1', failAt: 'stage' }, b: { current: 'r1' } },
    { runOnce: { hook: 'beforeSwitchOnce', hosts: ['a'] } },
  );
  const results = await deployApp(none.options, { maxFail: 1 });
  assert.deepEqual(outcomes(results), { a: 'failed', b: 'skipped' });
  assert.match(results[1]?.error ?? '', /no host that may run beforeSwitchOnce \(a\) staged/);
});

/** A fake `sh -c` on this machine: records each call, fails the ones `fail` names. */
function localHooks(fail: string[] = []) {
  const calls: string[] = [];
  const runLocal = async (name: string, command: string, env: Readonly<Record<string, string>>) => {
    calls.push(`${name} ${command} [${env.CONVOY_BATCH_HOSTS}] [${env.CONVOY_BATCH_ADDRESSES}] ${env.CONVOY_RELEASE}`);
    if (fail.includes(name)) throw new Error('exited with 3: backend not found');
  };
  return { calls, runLocal };
}

const drain = {
  before: { where: 'local' as const, command: 'drain' },
  after: { where: 'local' as const, command: 'undrain' },
};

test('local batch hooks: each batch drained before it switches and put back after, with its hosts in order', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1' }, h2: { current: 'r1' }, h3: { current: 'r1' } };
  const { calls, runLocal } = localHooks();
  const order: string[] = [];
  const { log, options } = fleet(spec, { batchHooks: drain, runLocal });
  options.runLocal = async (name, command, env, onLine) => {
    order.push(`${name} after ${log.filter((l) => l.endsWith(' switch')).length} switches`);
    await runLocal(name, command, env);
    onLine('done');
  };
  const results = await deployApp(options, twoByTwo);
  assert.deepEqual(calls, [
    'beforeBatch 1 drain [h1 h2] [10.0.0.1 10.0.0.2] r2',
    'afterBatch 1 undrain [h1 h2] [10.0.0.1 10.0.0.2] r2',
    'beforeBatch 2 drain [h3] [10.0.0.3] r2',
    'afterBatch 2 undrain [h3] [10.0.0.3] r2',
  ]);
  assert.deepEqual(order, [
    'beforeBatch 1 after 0 switches',
    'afterBatch 1 after 2 switches',
    'beforeBatch 2 after 2 switches',
    'afterBatch 2 after 3 switches',
  ]);
  assert.deepEqual(outcomes(results), { h1: 'deployed', h2: 'deployed', h3: 'deployed' });
});

test('batch hooks leave out hosts with nothing to change; a batch with none runs no hook', async () => {
  const { calls, runLocal } = localHooks();
  const { options } = fleet(
    { a: { current: 'r2', same: true }, b: { current: 'r1' }, c: { current: 'r2', same: true } },
    { batchHooks: drain, runLocal },
  );
  await deployApp(options, twoByTwo);
  assert.deepEqual(calls, ['beforeBatch 1 drain [b] [10.0.0.2] r2', 'afterBatch 1 undrain [b] [10.0.0.2] r2']);
});

test('a failing beforeBatch fails its hosts unswitched; the budget counts them and later batches are untouched', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1' }, h2: { current: 'r1' }, h3: { current: 'r1' } };
  const { calls, runLocal } = localHooks(['beforeBatch 1']);
  const { log, options } = fleet(spec, { batchHooks: drain, runLocal });
  const results = await deployApp(options, twoByTwo);
  assert.deepEqual(outcomes(results), { h1: 'failed', h2: 'failed', h3: 'skipped' });
  assert.ok(!log.some((l) => l.endsWith(' switch') || l.endsWith(' revert')), log.join('\n'));
  assert.match(results[0]?.error ?? '', /beforeBatch hook failed: exited with 3: backend not found/);
  assert.equal(results[0]?.release, 'r1');
  assert.equal(calls.length, 1, 'no afterBatch for a batch that did not switch');
  for (const host of ['h1', 'h2', 'h3']) assert.equal(steps(log, host).at(-1), 'unlock', host);
});

test('a failing beforeBatch within the budget: the next batch goes on', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1' }, h2: { current: 'r1' }, h3: { current: 'r1' } };
  const { runLocal } = localHooks(['beforeBatch 1']);
  const { options } = fleet(spec, { batchHooks: drain, runLocal });
  const results = await deployApp(options, { ...twoByTwo, maxFail: 2 });
  assert.deepEqual(outcomes(results), { h1: 'failed', h2: 'failed', h3: 'deployed' });
});

test('a failing afterBatch fails the batch as a failed gate does: its hosts go back, the rollout stops', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1' }, h2: { current: 'r1' }, h3: { current: 'r1' } };
  const { runLocal } = localHooks(['afterBatch 1']);
  const { log, options } = fleet(spec, { batchHooks: drain, runLocal });
  const results = await deployApp(options, twoByTwo);
  assert.deepEqual(outcomes(results), { h1: 'reverted', h2: 'reverted', h3: 'skipped' });
  assert.match(results[0]?.error ?? '', /afterBatch hook failed: exited with 3/);
  assert.deepEqual(steps(log, 'h1').slice(-3), ['prune', 'revert', 'unlock']);
  assert.equal(results[0]?.release, 'r1');
});

test('no afterBatch for a batch that spent the budget: its hosts go back and stay drained', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1' }, h2: { current: 'r1', failAt: 'switch' } };
  const { calls, runLocal } = localHooks();
  const { options } = fleet(spec, { batchHooks: drain, runLocal });
  const results = await deployApp(options, twoByTwo);
  assert.deepEqual(outcomes(results), { h1: 'reverted', h2: 'reverted' });
  assert.deepEqual(calls, ['beforeBatch 1 drain [h1 h2] [10.0.0.1 10.0.0.2] r2']);
});

test('remote batch hooks run on each host of the batch; one that fails fails that host only', async () => {
  const spec: Record<string, FakeHost> = { h1: { current: 'r1', failAt: 'beforeBatch' }, h2: { current: 'r1' } };
  const remote = {
    before: { where: 'remote' as const, command: 'x' },
    after: { where: 'remote' as const, command: 'y' },
  };
  const { log, options } = fleet(spec, { batchHooks: remote });
  const results = await deployApp(options, { ...twoByTwo, maxFail: 1 });
  assert.deepEqual(outcomes(results), { h1: 'failed', h2: 'deployed' });
  assert.deepEqual(steps(log, 'h1'), ['open', 'lock', 'inspect', 'stage', 'beforeBatch', 'unlock']);
  assert.deepEqual(steps(log, 'h2'), [
    'open',
    'lock',
    'inspect',
    'stage',
    'beforeBatch',
    'switch',
    'prune',
    'afterBatch',
    'unlock',
  ]);
});

test('hook scripts: a remote batch hook gets CONVOY_BATCH; a local one the batch in its environment', () => {
  assert.equal(
    hookCommand(app, 'lb-agent drain', '/srv/hello/releases/r2', 'r2', { CONVOY_BATCH: '2' }),
    [
      'cd /srv/hello/releases/r2 || exit 1',
      'CONVOY_APP=hello CONVOY_RELEASE=r2 CONVOY_ROOT=/srv/hello CONVOY_BATCH=2',
      'export CONVOY_APP CONVOY_RELEASE CONVOY_ROOT CONVOY_BATCH',
      '(',
      'lb-agent drain',
      ') </dev/null || exit $?',
    ].join('\n'),
  );
  const hosts = [
    { name: 'web1', address: '10.0.0.1' },
    { name: 'web2', address: '10.0.0.2' },
  ];
  assert.deepEqual(batchHookEnv('hello', 'r2', 1, hosts), {
    CONVOY_APP: 'hello',
    CONVOY_RELEASE: 'r2',
    CONVOY_BATCH: '1',
    CONVOY_BATCH_HOSTS: 'web1 web2',
    CONVOY_BATCH_ADDRESSES: '10.0.0.1 10.0.0.2',
  });
});
