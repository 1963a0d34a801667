// `convoy rollback`: each host back to the release verified before the current one (or `--to`), through the same
// engine as a deploy: batches, the gate, one failure budget, a host that fails going back to where it was.
import type { EngineOptions, Rollout } from './engine.ts';
import { deployApp } from './engine.ts';
import type { HostDeployResult } from './results.ts';

export function rollbackApp(
  options: EngineOptions,
  rollout: Rollout,
  to: string | undefined,
): Promise<HostDeployResult[]> {
  return deployApp({ ...options, action: 'rollback', to }, rollout);
}
