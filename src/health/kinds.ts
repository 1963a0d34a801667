// Health checks (docs/tasks.md, "healthcheck"): one type from the task file to the probe on the host, and one table
// entry per kind. A new kind is one entry here: task validation, rendering and the probe all read this table.
import { shellQuote } from '../shell/quote.ts';

export interface HealthCheck {
  kind: HealthCheckKind;
  /** The URL, `host:port` or shell command; `{{…}}` templates until rendered for one host. */
  target: string;
  /** How long the check may take to pass, in all. */
  timeoutMs: number;
  /** Wait between attempts. */
  intervalMs: number;
  /** At most this many attempts; absent = as many as fit in timeoutMs. */
  retries?: number;
}

interface HealthCheckKindDefinition {
  /** What is wrong with a target (`is not …`, said after the value), or undefined when it is fine. */
  problem(target: string): string | undefined;
  /** The target is a shell command line: variables go into it as quoted words, never as code. */
  shell: boolean;
  /** One attempt, as a shell command that exits 0 when healthy; `seconds` bounds the attempt. */
  attempt(target: string, seconds: number): string;
}

// Python is on every host that runs supervisord (it is a Python program); curl and nc are not.
const httpProbe =
  'import sys,urllib.request\ntry:\n r=urllib.request.urlopen(sys.argv[1],timeout=float(sys.argv[2]))\n sys.exit(0 if 200<=r.status<400 else 1)\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';
const tcpProbe =
  'import socket,sys\ntry:\n socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3])).close()\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';

// `host:port` or `[v6]:port`, port 1..65535.
function isHostPort(text: string): boolean {
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d+)$/.exec(text);
  const port = Number(match?.[1]);
  return match !== null && port >= 1 && port <= 65535;
}

export const healthCheckKinds = {
  http: {
    problem: (url) =>
      url.startsWith('http://') && URL.canParse(url) && !/\s/.test(url) ? undefined : 'is not an http:// URL',
    shell: false,
    attempt: (url, seconds) => `"$PY" -c ${shellQuote(httpProbe)} ${shellQuote(url)} ${seconds}`,
  },
  tcp: {
    problem: (hostPort) =>
      isHostPort(hostPort) ? undefined : "is not host:port (e.g. '127.0.0.1:8080' or '{{address}}:{{port}}')",
    shell: false,
    attempt: (hostPort, seconds) => {
      const colon = hostPort.lastIndexOf(':');
      const [host, port] = [hostPort.slice(0, colon), hostPort.slice(colon + 1)];
      return `"$PY" -c ${shellQuote(tcpProbe)} ${shellQuote(host)} ${shellQuote(port)} ${seconds}`;
    },
  },
  command: {
    problem: () => undefined,
    shell: true,
    attempt: (command) => `sh -c ${shellQuote(command)}`,
  },
} satisfies Record<string, HealthCheckKindDefinition>;

export type HealthCheckKind = keyof typeof healthCheckKinds;

export const healthCheckKindNames = Object.keys(healthCheckKinds) as HealthCheckKind[];

/**
 * Retries until healthy, the deadline, or `retries` attempts; prints the last failure's message and exits 1 when it
 * never passes.
 */
export function healthCommand(check: HealthCheck): string {
  const perTry = Math.max(1, Math.min(10, Math.round(check.timeoutMs / 1000)));
  const deadline = Math.max(1, Math.ceil(check.timeoutMs / 1000));
  const interval = Math.max(0.1, check.intervalMs / 1000);
  const attempt: string = healthCheckKinds[check.kind].attempt(check.target, perTry);
  const outOfTries = check.retries === undefined ? '' : ` ] || [ "$n" -ge ${check.retries}`;
  return [
    'PY=$(command -v python3 || command -v python || echo python3)',
    `end=$(( $(date +%s) + ${deadline} )); n=0`,
    'while :; do',
    `  n=$((n + 1)); if out=$( ${attempt} 2>&1 ); then exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end"${outOfTries} ]; then printf "%s\\n" "$out" | tail -n 3 >&2; exit 1; fi`,
    `  sleep ${interval}`,
    'done',
  ].join('\n');
}
