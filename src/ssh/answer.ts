// Answering sudo's password prompt on a command's channel, and only that prompt (docs/security.md, "sudo with a password").
//
// The command is `sudo -S -p <prompt> -- sh -c '<print ready>; exec …'`: sudo prints the prompt Convoy set (a nonce no
// other program can know) when it wants a password, and the shell it starts prints the ready line first. The reply
// is written only after the prompt shows, so that a sudo that asks nothing (NOPASSWD, a cached timestamp) never sees
// it and it never becomes the command's input; the command's own input is written only after the ready line, so that
// sudo never reads a line of the script as a password. A second prompt means the reply was wrong: Convoy gives up
// (end of input) instead of answering again, so that one run costs the account one failed attempt, not sudo's three.
import { randomBytes } from 'node:crypto';

export type PromptOutcome = 'waiting' | 'ready' | 'wrong-reply' | 'no-reply';

export class AnsweredPrompt {
  /** The prompt sudo is told to print (`-p`): a nonce, so that nothing else the host prints is taken for it. */
  readonly prompt: string;
  /** The line the command prints once it runs (sudo let it): its real output starts after this. */
  readonly ready: string;
  private seen = '';
  private answered = false;
  private state: PromptOutcome = 'waiting';

  constructor(
    /** The reply (a password); asked for only when the prompt shows. Undefined: nothing to answer with. */
    private readonly reply: () => Promise<string | undefined>,
    nonce = randomBytes(9).toString('base64url'),
  ) {
    this.prompt = `[convoy-sudo ${nonce}] `;
    this.ready = `convoy-ready-${nonce}`;
  }

  get outcome(): PromptOutcome {
    return this.state;
  }

  /**
   * Feeds what the command printed on the stream sudo prompts on (stderr; stdout under a pty). Returns the bytes that
   * are the command's own output (after the ready line), or nothing while sudo still speaks.
   */
  feed(chunk: Buffer, io: { send(text: string): void; giveUp(): void; onReady(): void }): Buffer | undefined {
    if (this.state !== 'waiting') return this.state === 'ready' ? chunk : undefined;
    this.seen += chunk.toString('latin1');
    const readyAt = this.seen.search(new RegExp(`${this.ready}\\r?\\n`));
    if (readyAt >= 0) return this.becomeReady(readyAt, io.onReady);
    const prompts = this.seen.split(this.prompt).length - 1;
    if (prompts >= 2) {
      this.state = 'wrong-reply';
      io.giveUp();
    } else if (prompts === 1 && !this.answered) {
      this.answered = true;
      void this.reply().then(
        (text) => (text === undefined ? this.noReply(io.giveUp) : io.send(`${text}\n`)),
        () => this.noReply(io.giveUp),
      );
    }
    return undefined;
  }

  /** What sudo said before the command ran (a lecture, "Sorry, try again.", a refusal), prompts and ready removed. */
  preamble(): string {
    const before = this.state === 'ready' ? this.seen.slice(0, this.seen.indexOf(this.ready)) : this.seen;
    // Each prompt goes, with the newline sudo prints after reading a password from a terminal.
    const said = before.split(new RegExp(`${escapeRegExp(this.prompt)}(?:\\r?\\n)?`)).join('');
    return said.trim() === '' ? '' : Buffer.from(said, 'latin1').toString('utf8');
  }

  private becomeReady(readyAt: number, onReady: () => void): Buffer {
    this.state = 'ready';
    const after = this.seen.slice(readyAt).replace(new RegExp(`^${this.ready}\\r?\\n`), '');
    this.seen = this.seen.slice(0, readyAt + this.ready.length);
    onReady();
    return Buffer.from(after, 'latin1');
  }

  private noReply(giveUp: () => void): void {
    if (this.state !== 'waiting') return;
    this.state = 'no-reply';
    giveUp();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
