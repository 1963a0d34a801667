// `convoy rollback`: each host back to an earlier release, restarted and gated; a host that fails returns to where
// it was.
import { RemoteStepError } from '../host/errors.ts';
import { runOnHosts } from '../orchestration/run-on-hosts.ts';
import type { EngineOptions } from './engine.ts';
import { unfinished } from './engine.ts';
import type { AppOnHost } from './host-deploy.ts';
import { isReleaseId, previousRelease } from './releases.ts';
import type { HostDeployResult } from './results.ts';
import { blankResult } from './results.ts';

export async function rollbackApp(options: EngineOptions, to: string | undefined): Promise<HostDeployResult[]> {
  const { outcomes } = await runOnHosts(options.hosts, { concurrency: options.concurrency }, async (host) => {
    const started = performance.now();
    const deploy = await options.open(host);
    await deploy.lock();
    try {
      const result = await rollBack(deploy, to);
      return { value: { ...result, durationMs: Math.round(performance.now() - started) }, ok: !result.error };
    } finally {
      await deploy.unlock().catch((error: unknown) => {
        options.listener?.step?.(host.name, deploy.app.name, 'warning', (error as Error).message);
      });
    }
  });
  return outcomes.map((o) => o.value ?? unfinished(options.app, o));
}

async function rollBack(deploy: AppOnHost, to: string | undefined): Promise<HostDeployResult> {
  const state = await deploy.readState();
  const releases = state.entries.filter(isReleaseId).sort();
  const target = to ?? previousRelease(releases, state.current);
  if (target === undefined || !releases.includes(target)) {
    const what = to ? `release ${to} is not on the host` : `no release before ${state.current ?? '(none)'}`;
    const said = `${what}; releases there: ${releases.join(', ') || 'none'}`;
    throw new RemoteStepError(deploy.host, 'rollback', undefined, said);
  }
  const plan = deploy.planFor(state, target);
  const base = { ...blankResult(deploy.host, deploy.app.name, 'rolled-back'), previousRelease: state.current };
  try {
    const outcome = await deploy.switch(plan);
    return {
      ...base,
      outcome: plan.releaseChanged ? 'rolled-back' : 'unchanged',
      release: target,
      restarted: outcome.restarted,
    };
  } catch (error) {
    await deploy.revert(plan);
    return { ...base, outcome: 'reverted', release: state.current, restarted: true, error: (error as Error).message };
  }
}
