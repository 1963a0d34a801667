// Health checks run on the host itself (so they see what the host sees), as one shell command with a deadline.
import { shellQuote } from '../ssh/quote.ts';

export interface HealthCheck {
  http?: string | undefined;
  tcp?: string | undefined;
  command?: string | undefined;
  timeoutMs: number;
  intervalMs: number;
}

/** Python is on every host that runs supervisord; curl and nc are not. Exit 0 = healthy. */
const httpProbe =
  'import sys,urllib.request\ntry:\n r=urllib.request.urlopen(sys.argv[1],timeout=float(sys.argv[2]))\n sys.exit(0 if 200<=r.status<400 else 1)\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';
const tcpProbe =
  'import socket,sys\ntry:\n socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3])).close()\nexcept Exception as e:\n sys.stderr.write("%s\\n"%e);sys.exit(1)';

function once(check: HealthCheck): string {
  const perTry = Math.max(1, Math.min(10, Math.round(check.timeoutMs / 1000)));
  if (check.http) return `"$PY" -c ${shellQuote(httpProbe)} ${shellQuote(check.http)} ${perTry}`;
  if (check.tcp) {
    const colon = check.tcp.lastIndexOf(':');
    return `"$PY" -c ${shellQuote(tcpProbe)} ${shellQuote(check.tcp.slice(0, colon))} ${shellQuote(check.tcp.slice(colon + 1))} ${perTry}`;
  }
  return `sh -c ${shellQuote(check.command ?? 'true')}`;
}

/** Retries until healthy or the deadline; prints the last failure's message and exits 1 when it never passes. */
export function healthCommand(check: HealthCheck): string {
  const deadline = Math.max(1, Math.ceil(check.timeoutMs / 1000));
  const interval = Math.max(0.1, check.intervalMs / 1000);
  return [
    'PY=$(command -v python3 || command -v python || echo python3)',
    `end=$(( $(date +%s) + ${deadline} ))`,
    'while :; do',
    `  if out=$( ${once(check)} 2>&1 ); then exit 0; fi`,
    '  if [ "$(date +%s)" -ge "$end" ]; then printf "%s\\n" "$out" | tail -n 3 >&2; exit 1; fi',
    `  sleep ${interval}`,
    'done',
  ].join('\n');
}
