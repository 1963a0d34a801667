// A root step under a pty, for hosts whose sudoers says `requiretty` (docs/security.md, "sudo with a password"): a pty carries one stream, so the
// step's script cannot follow on stdin (it would be echoed, line-edited, cut at ^D) and its errors would mix with its
// output. The script goes first, as the input of a login step on a channel of its own, into a private directory; the
// root shell then runs it with no input and sends its errors after a marker.
import { randomBytes } from 'node:crypto';
import { shellQuote } from '../shell/quote.ts';
import type { CommandResult } from '../ssh/connection.ts';

export interface TtyStep {
  /** A new directory (0700, the login's) holding the script; the root shell removes it when done. */
  dir: string;
  file: string;
  /** The root shell's command line: runs the script with no input, then the errors after `errorsMark`. */
  inner: string;
  errorsMark: string;
}

export function ttyStep(): TtyStep {
  const nonce = randomBytes(8).toString('hex');
  const dir = `/tmp/.convoy-${nonce}`;
  const errorsMark = `convoy-stderr-${nonce}`;
  const script = shellQuote(`${dir}/s`);
  const inner = [
    // No CR added to each line (OpenSSH's -tt gives the terminal's default modes; ssh2's pty is asked without it).
    'stty -onlcr 2>/dev/null',
    'e=$(mktemp) || exit 125',
    `sh ${script} </dev/null 2>"$e"`,
    'c=$?',
    `echo; echo ${errorsMark}; cat "$e"`,
    `rm -rf "$e" ${shellQuote(dir)}`,
    'exit $c',
  ].join('; ');
  return { dir, file: 's', inner, errorsMark };
}

/** The step's result with its output and errors told apart again (the newline before the mark is the shell's). */
export function ttyOutput(result: CommandResult, errorsMark: string): CommandResult {
  const mark = `\n${errorsMark}\n`;
  const at = result.stdout.lastIndexOf(mark);
  if (at < 0) return result;
  const stderr = result.stderr + result.stdout.slice(at + mark.length);
  return { ...result, stdout: result.stdout.slice(0, at), stderr };
}
