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

// Python is on every host that runs supervisord (it is a Python program); curl and nc are not. The target reaches it
// on stdin (printf is the shell's builtin), one value a line: never in an argv that `ps` shows (a URL may hold a token).
const httpProbe =
  'import sys,urllib.request\na=sys.stdin.read().split("\\n")\ntry:\n r=urllib.request.urlopen(a[0],timeout=float(a[1]))\n sys.exit(0 if 200<=r.status<400 else 1)\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';
const tcpProbe =
  'import socket,sys\na=sys.stdin.read().split("\\n")\ntry:\n socket.create_connection((a[0],int(a[1])),timeout=float(a[2])).close()\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';

/** Values for a probe's stdin, one a line, through the shell's builtin printf. */
function onStdin(...values: string[]): string {
  return `printf '%s\\n' ${values.map(shellQuote).join(' ')} |`;
}

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
    attempt: (url, seconds) => `${onStdin(url, String(seconds))} "$PY" -c ${shellQuote(httpProbe)}`,
  },
  tcp: {
    problem: (hostPort) =>
      isHostPort(hostPort) ? undefined : "is not host:port (e.g. '127.0.0.1:8080' or '{{address}}:{{port}}')",
    shell: false,
    attempt: (hostPort, seconds) => {
      const colon = hostPort.lastIndexOf(':');
      const [host, port] = [hostPort.slice(0, colon), hostPort.slice(colon + 1)];
      return `${onStdin(host, port, String(seconds))} "$PY" -c ${shellQuote(tcpProbe)}`;
    },
  },
  command: {
    problem: () => undefined,
    shell: true,
    // Inline in the probe's script (a subshell), so that the command, and any value rendered into it, is never argv.
    attempt: (command) => `(\n${command}\n)`,
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
    // A function: the attempt may span lines, and its text stays out of every process's argv.
    'convoy_attempt() {',
    attempt,
    '}',
    `end=$(( $(date +%s) + ${deadline} )); n=0`,
    'while :; do',
    // stdin is the rest of this script (read by `sh -s`): an attempt must not read it.
    `  n=$((n + 1)); if out=$(convoy_attempt 2>&1 </dev/null); then exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end"${outOfTries} ]; then printf "%s\\n" "$out" | tail -n 3 >&2; exit 1; fi`,
    `  sleep ${interval}`,
    'done',
  ].join('\n');
}
