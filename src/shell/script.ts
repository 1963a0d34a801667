// Convoy's own remote steps are POSIX sh scripts sent on stdin to `sh -s`: the login shell (bash, fish, tcsh, …)
// only ever parses the two words `sh -s`. A multi-line `sh -c '…'` does not survive tcsh's quoting, and fish does not
// parse `a && b`, `$(…)` or `2>/dev/null` the way sh does.
import { randomBytes } from 'node:crypto';

/** The command line that runs a step's script: the same words in every shell. */
export const scriptShell = 'sh -s';

/**
 * What goes to `sh -s` on stdin: umask 022 first (what Convoy creates is 0755/0644 whatever the login's umask,
 * unless a step sets a mode), then the script. A step's own input (a conf to write) cannot follow on stdin, which the
 * shell is reading the script from: it is embedded as base64 and piped into the script.
 */
export function stepScript(script: string, input?: string | Buffer, stepId?: string): string {
  // The whole script is one function, read before it runs: a command in it that reads stdin gets the step's input
  // or nothing, never the rest of the script.
  const head = stepId === undefined ? ['umask 022'] : ['umask 022', `CONVOY_STEP=${stepId}; export CONVOY_STEP`];
  if (input === undefined) return [...head, 'convoy_step() {', script, '}', 'convoy_step </dev/null', ''].join('\n');
  const delimiter = `CONVOY-INPUT-${randomBytes(8).toString('hex')}`;
  const encoded = (Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8')).toString('base64');
  return [
    ...head,
    // Without base64 the script would read an empty input and, say, write an empty conf.
    'command -v base64 >/dev/null 2>&1 || { echo "convoy: base64 (coreutils) is missing on this host" >&2; exit 127; }',
    // The here-document's body comes right after the line that reads it.
    'convoy_step() {',
    script,
    '}',
    `base64 -d <<'${delimiter}' | convoy_step`,
    ...(encoded.match(/.{1,76}/g) ?? []),
    delimiter,
    '',
  ].join('\n');
}

/** A step's mark in its processes' environment (`CONVOY_STEP`, see stepScript): hex, so it needs no quoting. */
export function newStepId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Ends every process of the login that carries the step's mark (the step's shell and all it started, unless they
 * cleared their environment): what a step timeout does where sshd will not signal the channel (a root login: OpenSSH
 * runs its session in the monitor, which refuses "signal" requests). One grep over /proc, no program per process.
 */
export function killStepScript(stepId: string): string {
  return [
    `pids=$(grep -l -z -x 'CONVOY_STEP=${stepId}' /proc/[0-9]*/environ 2>/dev/null | sed 's#^/proc/##; s#/environ$##')`,
    '[ -z "$pids" ] || kill -KILL $pids 2>/dev/null',
    'exit 0',
    '',
  ].join('\n');
}
