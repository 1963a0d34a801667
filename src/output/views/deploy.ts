// `convoy deploy` and `convoy rollback`: one row per host and app, a dry run's details, the summary.
import type { HostDeployResult } from '../../deploy/results.ts';
import { outcomeStatus } from '../../deploy/results.ts';
import type { RunSummary } from '../../orchestration/run-on-hosts.ts';
import { paint } from '../colors.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { deployColors, deployWords, formatBytes, secondsText } from '../words.ts';

export interface DeployReport {
  command: 'deploy' | 'rollback';
  results: readonly HostDeployResult[];
  summary: RunSummary;
  dryRun: boolean;
  exitCode: number;
}

export function showDeploy(out: Output, report: DeployReport): void {
  const { results, dryRun } = report;
  if (out.jsonMode) {
    for (const { outcome, host, ...r } of results) {
      out.record({ type: 'result', host, status: outcomeStatus[outcome], result: deployWords[outcome], ...r });
    }
    const once = ranOnce(results);
    writeSummary(out, report.command, report.summary, report.exitCode, {
      dryRun,
      reverted: revertedHosts(results),
      ...(once.length > 0 ? { ranOnce: once.map(({ host, app, hook }) => ({ host, app, hook })) } : {}),
    });
    return;
  }
  out.line('');
  const rows = results.map((r) => [
    r.host,
    r.app || '-',
    r.release ?? '-',
    paint(out.color, deployColors[r.outcome], deployWords[r.outcome]),
    formatBytes(r.uploadedBytes),
    secondsText(r.durationMs),
    [r.ranOnce ? `ran ${r.ranOnce}` : '', r.error ?? (r.restarted && !dryRun ? 'restarted' : '')]
      .filter(Boolean)
      .join('; '),
  ]);
  out.line(formatTable(['HOST', 'APP', 'RELEASE', 'RESULT', 'UPLOADED', 'TIME', 'INFO'], rows));
  if (dryRun) for (const r of results) dryRunDetails(out, r);
  const reverted = revertedHosts(results);
  if (reverted.length > 0) out.line(`reverted to their previous release: ${reverted.join(', ')}`);
  for (const r of ranOnce(results)) out.line(`${r.hook} of ${r.app} ran once, on ${r.host}`);
  writeSummary(out, report.command, report.summary, report.exitCode);
}

function dryRunDetails(out: Output, r: HostDeployResult): void {
  const d = r.dryRun;
  if (!d) return;
  const current = r.release === r.previousRelease ? ' (already current)' : ` (now ${r.previousRelease ?? 'none'})`;
  const restart = d.programs.length ? `, would restart ${d.programs.join(' ')}` : ', nothing to restart';
  const lock = d.lockHeldBy ? `; LOCKED by ${d.lockHeldBy}` : '';
  out.line('');
  out.line(
    `${r.host} ${r.app}: release ${r.release}${current}, upload ${formatBytes(r.uploadedBytes)}${restart}${lock}`,
  );
  if (d.confDiff) out.line(d.confDiff.trimEnd());
}

/** The host of each app that ran its run-once hook. */
function ranOnce(results: readonly HostDeployResult[]): { host: string; app: string; hook: string }[] {
  return results.flatMap((r) => (r.ranOnce ? [{ host: r.host, app: r.app, hook: r.ranOnce }] : []));
}

/** Hosts (with the app, when several apps ran) whose new release failed, or whose batch did, and that went back. */
function revertedHosts(results: readonly HostDeployResult[]): string[] {
  const apps = new Set(results.map((r) => r.app));
  return results.filter((r) => r.outcome === 'reverted').map((r) => (apps.size > 1 ? `${r.host} (${r.app})` : r.host));
}

/** Says which hosts of the command's target an app's own `hosts` left out (before the run starts). */
export function showNarrowed(
  out: Output,
  app: string,
  appHosts: string,
  target: string,
  leftOut: readonly string[],
): void {
  if (leftOut.length === 0) return;
  const names =
    leftOut.length > 10 ? `${leftOut.slice(0, 10).join(', ')} and ${leftOut.length - 10} more` : leftOut.join(', ');
  const text = `app '${app}' runs on its own hosts (${appHosts}): left out of '${target}': ${names}`;
  if (out.jsonMode) out.record({ type: 'note', app, leftOut: [...leftOut], text });
  else out.warn(`note: ${text}`);
}
