// `convoy sandbox up|down|status`: the local test fleet, as lines or JSON lines.
import path from 'node:path';
import type { HostStatus } from '../../sandbox/fleet.ts';
import type { SandboxState } from '../../sandbox/state.ts';
import type { RunSummary } from '../../orchestration/run-on-hosts.ts';
import type { Output } from '../output.ts';
import { writeSummary } from '../summary.ts';
import { formatTable } from '../table.ts';
import { counted, secondsText } from '../words.ts';

function counts(total: number, ok: number, durationMs: number): RunSummary {
  return { total, ok, failed: 0, unreachable: total - ok, skipped: 0, durationMs: Math.round(durationMs) };
}

export interface SandboxUpReport {
  state: SandboxState;
  durationMs: number;
  port: number;
  bare: boolean;
  /** `--state-dir` when it is not the default, for the `down` hint. */
  stateDirFlag: string | undefined;
  cwd: string;
}

export function showSandboxUp(out: Output, report: SandboxUpReport): void {
  const { state, durationMs } = report;
  if (out.jsonMode) {
    for (const { name, ...host } of state.hosts) out.record({ type: 'result', host: name, status: 'ok', ...host });
    const { hosts: _hosts, ...files } = state;
    writeSummary(out, 'sandbox up', counts(state.hosts.length, state.hosts.length, durationMs), 0, files);
    return;
  }
  const first = state.hosts[0];
  const last = state.hosts[state.hosts.length - 1];
  const rel = (p: string) => path.relative(report.cwd, p) || '.';
  const kind = report.bare ? 'bare: sshd only, no supervisord' : 'sshd + supervisord';
  const port = report.port === 22 ? '' : ` -p ${report.port}`;
  out.line(
    `sandbox: ${counted(state.hosts.length, 'host')} up in ${secondsText(durationMs)} ` +
      `(${first?.address}…${last?.address}, port ${report.port}; ${kind})`,
  );
  out.line(`inventory:   ${rel(state.inventoryFile)}`);
  const known = `-o UserKnownHostsFile=${rel(state.knownHostsFile)}`;
  out.line(`try:         ssh -i ${rel(state.clientKeyFile)} ${known}${port} root@${first?.address} hostname`);
  out.line(`stop it:     convoy sandbox down${report.stateDirFlag ? ` --state-dir ${report.stateDirFlag}` : ''}`);
}

export function showSandboxDown(
  out: Output,
  result: { found: boolean; stopped: number; durationMs: number },
  stateDir: string,
): void {
  if (out.jsonMode) {
    writeSummary(out, 'sandbox down', counts(result.stopped, result.stopped, result.durationMs), 0, {
      found: result.found,
      stopped: result.stopped,
    });
  } else if (!result.found) out.line(`sandbox: nothing to stop in ${stateDir}`);
  else {
    const time = secondsText(result.durationMs);
    out.line(`sandbox: ${counted(result.stopped, 'host')} stopped in ${time}, state removed`);
  }
}

export function showSandboxStatus(
  out: Output,
  status: { state: SandboxState | undefined; hosts: HostStatus[]; healthy: (h: HostStatus) => boolean },
  exitCode: number,
  where: { stateDir: string; cwd: string },
): void {
  const { state, hosts } = status;
  const ok = hosts.filter(status.healthy).length;
  if (out.jsonMode) {
    for (const { name, ...host } of hosts) {
      out.record({
        type: 'result',
        host: name,
        status: status.healthy({ name, ...host }) ? 'ok' : 'unreachable',
        ...host,
      });
    }
    const files = state ? { stateDir: state.stateDir, inventoryFile: state.inventoryFile } : {};
    writeSummary(out, 'sandbox status', counts(hosts.length, ok, 0), exitCode, { up: state !== undefined, ...files });
    return;
  }
  if (!state) {
    out.line(`sandbox: not up (no state in ${where.stateDir}); start one with \`convoy sandbox up\``);
    return;
  }
  const rows = hosts.map((h) => [
    h.name,
    `${h.address}:${h.port}`,
    h.pid === null ? '-' : String(h.pid),
    h.sshd ? 'up' : 'down',
    h.supervisord,
    `${(h.memoryKb / 1024).toFixed(1)} MB`,
  ]);
  out.line(formatTable(['HOST', 'ADDRESS', 'PID', 'SSHD', 'SUPERVISORD', 'MEMORY'], rows));
  out.line(`${ok}/${hosts.length} hosts up; inventory ${path.relative(where.cwd, state.inventoryFile)}`);
}
