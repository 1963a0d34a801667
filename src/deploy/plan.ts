// `deploy --dry-run`: what a deploy would do on each host, read without taking locks or writing anything.
import { runOnHosts } from '../orchestration/run-on-hosts.ts';
import { confDiffWithoutValues } from './conf-diff.ts';
import type { EngineOptions } from './engine.ts';
import { planOn, unfinished } from './engine.ts';
import type { AppOnHost, HostPlan } from './host-deploy.ts';
import { describeOwner } from './lock.ts';
import type { HostDeployResult } from './results.ts';
import { blankResult } from './results.ts';

export async function planApp(options: EngineOptions): Promise<HostDeployResult[]> {
  const { outcomes } = await runOnHosts(options.hosts, { concurrency: options.concurrency }, async (host) => {
    const deploy = await options.open(host);
    const plan = await planOn(options, deploy);
    return { value: await dryRunResult(deploy, plan), ok: true };
  });
  return outcomes.map((o) => o.value ?? unfinished(options.app, o));
}

async function dryRunResult(deploy: AppOnHost, plan: HostPlan): Promise<HostDeployResult> {
  const changes = plan.releaseChanged || plan.confChanged || plan.converge !== undefined;
  const group = await deploy.programs();
  const confDiff = plan.confChanged ? confDiffWithoutValues(deploy.confPath, plan.previousConf, plan.conf) : '';
  return {
    ...blankResult(deploy.host, deploy.app.name, changes ? 'would-change' : 'no-change'),
    release: plan.release,
    previousRelease: plan.previousRelease,
    uploadedBytes: plan.uploadBytes,
    restarted: changes,
    dryRun: {
      confDiff,
      programs: changes ? (group.length > 0 ? group : [`${deploy.app.name}:* (new)`]) : [],
      ...(plan.state.lockOwner ? { lockHeldBy: describeOwner(plan.state.lockOwner) } : {}),
      ...(plan.converge ? { converge: plan.converge } : {}),
    },
  };
}
