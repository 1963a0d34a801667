// The words reports use for results and counts (docs/output.md, "Tables and result words"): the one place where
// result codes become text and colors.
import type { DeployOutcome } from '../deploy/results.ts';
import type { HostStatus } from '../orchestration/run-on-hosts.ts';
import type { ProcessOutcome } from '../supervisor/control.ts';
import type { ColorName } from './colors.ts';

/** `1 host`, `3 hosts`, `1 process`, `2 processes`. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

export const deployWords: Record<DeployOutcome, string> = {
  deployed: 'deployed',
  'conf-updated': 'conf updated',
  converged: 'converged',
  unchanged: 'unchanged',
  'rolled-back': 'rolled back',
  reverted: 'reverted',
  failed: 'failed',
  skipped: 'skipped',
  unreachable: 'unreachable',
  'would-change': 'would change',
  'no-change': 'no change',
};

export const deployColors: Record<DeployOutcome, ColorName> = {
  deployed: 'green',
  'conf-updated': 'green',
  converged: 'green',
  unchanged: 'gray',
  'rolled-back': 'green',
  reverted: 'red',
  failed: 'red',
  skipped: 'yellow',
  unreachable: 'red',
  'would-change': 'yellow',
  'no-change': 'gray',
};

export const processWords: Record<ProcessOutcome, string> = {
  started: 'started',
  stopped: 'stopped',
  restarted: 'restarted',
  'already-running': 'already running',
  'already-stopped': 'already stopped',
  failed: 'failed',
  missing: 'no such program',
};

export const processColors: Record<ProcessOutcome, ColorName> = {
  started: 'green',
  stopped: 'green',
  restarted: 'green',
  'already-running': 'gray',
  'already-stopped': 'gray',
  failed: 'red',
  missing: 'red',
};

export const statusColors: Record<HostStatus, ColorName> = {
  ok: 'green',
  failed: 'red',
  unreachable: 'red',
  skipped: 'yellow',
};

export { formatBytes } from '../units/bytes.ts';

export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
