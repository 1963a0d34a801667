// How a command reaches root through sudo on one host (docs/security.md, "sudo with a password"): the words of the
// command, the prompt it may answer, and what the host taught the session (requiretty, a refused password).
import { ConvoyError } from '../errors.ts';
import type { SecretValue } from '../secrets/values.ts';
import { shellQuote } from '../shell/quote.ts';
import { AnsweredPrompt } from '../ssh/answer.ts';
import type { StepResult } from './errors.ts';

/** sudo on a host refused the run's password, or asked for one the run does not have: the host fails, once. */
export class SudoPasswordError extends ConvoyError {
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`${host}: ${detail}`);
  }
}

/** A command wrapped for sudo, with the prompt Convoy answers on its channel. */
export interface SudoCommand {
  command: string;
  answer: AnsweredPrompt;
}

// sudo's own words (sudo 1.8–1.9, plugins/sudoers/check.c and sudoers.c), which no other program prints.
const requiresTty = /sorry, you must have a tty to run sudo/;
const wantsPassword = /a password is required|a terminal is required to read the password/;

export class SudoOnHost {
  private requiretty = false;
  private refusal: SudoPasswordError | undefined;
  /** Prompts of commands that may not have been judged (the relay's channels): what sudo said there teaches too. */
  private unjudged: AnsweredPrompt[] = [];

  constructor(
    private readonly host: string,
    private readonly user: string,
    /** `--ask-sudo-pass` / `--sudo-pass-file`: given to sudo only when it prompts for it. */
    private readonly password: SecretValue | undefined,
  ) {}

  /**
   * Whether a login script may call `sudo -n` itself (a root-only read inside a step): not when sudo wants a
   * password (only a prompt Convoy answers may get it) or a terminal.
   */
  get inline(): boolean {
    return this.password === undefined && !this.requiretty;
  }

  /** sudoers' `requiretty` was met: root steps now run under a pty, their script put there by SFTP. */
  get needsTty(): boolean {
    this.learnFromChannels();
    return this.requiretty;
  }

  /** A channel whose sudo said `requiretty` before its command ran (the relay cannot run there as root). */
  private learnFromChannels(): void {
    for (const answer of this.unjudged) {
      if (answer.outcome === 'wrong-reply') this.refusal ??= this.wrongPassword();
      if (answer.outcome === 'waiting' && requiresTty.test(answer.preamble())) this.requiretty = true;
    }
    this.unjudged = this.unjudged.filter((answer) => answer.outcome === 'waiting' && !this.requiretty);
  }

  private wrongPassword(): SudoPasswordError {
    return new SudoPasswordError(
      this.host,
      `sudo refused the password for ${this.user} (Convoy answers sudo's prompt once, so that a wrong password does not lock the account): check --sudo-pass-file or the password typed at --ask-sudo-pass`,
    );
  }

  /** `wrap` for a channel nobody judges (the exec relay): what its sudo says is learnt when next asked. */
  wrapChannel(inner: string): SudoCommand {
    const wrapped = this.wrap(inner);
    this.unjudged.push(wrapped.answer);
    return wrapped;
  }

  /**
   * `inner` (a shell command line) as root. The shell sudo starts says the ready line before anything else, so that
   * what comes after it is the command's own (src/ssh/answer.ts); with no password, `-n`: sudo never waits.
   */
  wrap(inner: string): SudoCommand {
    this.learnFromChannels();
    if (this.refusal) throw this.refusal;
    const answer = new AnsweredPrompt(() => Promise.resolve(this.password?.reveal()));
    const flags = this.password ? `-S -p ${shellQuote(answer.prompt)}` : '-n';
    // Under a pty there is one stream; else the ready line goes with sudo's prompt, on stderr.
    const ready = `echo ${answer.ready}${this.requiretty ? '' : ' >&2'}`;
    return { command: `sudo ${flags} -- sh -c ${shellQuote(`${ready}; ${inner}`)}`, answer };
  }

  /**
   * What a wrapped command's end says about sudo: `tty` when sudoers wants a terminal (the command did not run: run it
   * again under one), else `ran`. A refused or missing password throws, and is remembered: no second try on the host.
   */
  judge(result: StepResult, answer: AnsweredPrompt): 'ran' | 'tty' {
    if (answer.outcome === 'ready') return 'ran';
    if (answer.outcome === 'wrong-reply') {
      this.refusal = this.wrongPassword();
      throw this.refusal;
    }
    if (!this.requiretty && requiresTty.test(result.stderr)) {
      this.requiretty = true;
      return 'tty';
    }
    if (wantsPassword.test(result.stderr) || answer.outcome === 'no-reply') {
      this.refusal = new SudoPasswordError(
        this.host,
        `sudo asks ${this.user} for a password: give it with --ask-sudo-pass (asked once, hidden) or --sudo-pass-file FILE`,
      );
      throw this.refusal;
    }
    return 'ran';
  }
}
