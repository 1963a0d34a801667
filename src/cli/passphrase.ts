// The passphrase prompt of encrypted keys (src/ssh/identities.ts asks through it): on the terminal, hidden, one
// question at a time. Only when stdin is a terminal: a run in CI or from a pipe never waits for an answer.
import { closeSync, openSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import type { PassphrasePrompt, PassphraseQuestion } from '../host/fleet.ts';
import { UsageError } from '../errors.ts';

/** Asks the sudo password (hidden); rejects when none is given. */
export type SudoPasswordPrompt = () => Promise<string>;

/** The terminal to ask on: /dev/tty as ssh uses it (stdout may be piped), else stdin and stderr. */
interface Terminal {
  input: tty.ReadStream;
  write(text: string): void;
  close(): void;
}

/** A prompter when stdin is a terminal, else undefined (encrypted keys then need ssh-agent). */
export function terminalPassphrasePrompt(stdin: { isTTY?: boolean } = process.stdin): PassphrasePrompt | undefined {
  if (stdin.isTTY !== true) return undefined;
  // Two keys asked for at once would interleave their questions: they queue.
  let queue: Promise<unknown> = Promise.resolve();
  return (question) => {
    const answer = queue.then(() => askHidden(questionText(question)));
    queue = answer.catch(() => undefined);
    return answer;
  };
}

/**
 * `--ask-sudo-pass`: asked once on the terminal, hidden, before any host is touched; answered on every host where sudo
 * prompts (src/host/sudo.ts). Undefined when stdin is no terminal; the question rejects when the user gives up.
 */
export function terminalSudoPasswordPrompt(stdin: { isTTY?: boolean } = process.stdin): SudoPasswordPrompt | undefined {
  if (stdin.isTTY !== true) return undefined;
  return async () => {
    const answer = await askHidden('sudo password: ');
    if (answer === undefined) throw new UsageError('--ask-sudo-pass: no password was given');
    return answer;
  };
}

/** ssh's and ssh-add's wording, so the prompt reads as the one users know. */
export function questionText({ file, attempt }: PassphraseQuestion): string {
  return attempt === 1 ? `Enter passphrase for ${file}: ` : `Bad passphrase, try again for ${file}: `;
}

function openTerminal(): Terminal {
  try {
    const readFd = openSync('/dev/tty', 'r');
    const writeFd = openSync('/dev/tty', 'w');
    const input = new tty.ReadStream(readFd);
    return {
      input,
      write: (text) => writeSync(writeFd, text),
      close: () => {
        input.destroy();
        closeSync(writeFd);
      },
    };
  } catch {
    return { input: process.stdin as tty.ReadStream, write: (text) => process.stderr.write(text), close: () => {} };
  }
}

/** Reads one line without echo (raw mode): Enter ends it, backspace edits it, Ctrl-C stops the run, Ctrl-D gives up. */
function askHidden(text: string): Promise<string | undefined> {
  const terminal = openTerminal();
  const { input } = terminal;
  // Echo goes off before the question shows: an answer typed as soon as it appears must not be echoed.
  input.setRawMode(true);
  terminal.write(text);
  return new Promise<string | undefined>((resolve) => {
    let typed = '';
    const finish = (answer: string | undefined) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      terminal.write('\n');
      terminal.close();
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(typed);
        if (char === '\u0004') return finish(typed === '' ? undefined : typed);
        if (char === '\u0003') {
          finish(undefined);
          // Raw mode took Ctrl-C from the terminal's signal keys: it is passed on as the SIGINT it would have been.
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
