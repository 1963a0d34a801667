// Secret values in memory, and what may be said about them: nothing but their names and a keyed digest. A value
// never goes into a string that could reach output: printing, JSON-serialising or inspecting it shows `<secret NAME>`.
import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { shellQuote } from '../shell/quote.ts';

export class SecretValue {
  readonly #value: string;

  constructor(
    readonly name: string,
    value: string,
  ) {
    this.#value = value;
  }

  /** The value itself: only for the bytes written to the host's 0600 secrets file. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `<secret ${this.name}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** An app's secrets for one run, sorted by name. */
export type ResolvedSecrets = readonly SecretValue[];

/**
 * A secret's version on a host: HMAC-SHA256 keyed by the host's own key file (never a plain digest, from which a
 * short secret could be guessed), first 16 hex digits.
 */
export function secretVersion(key: string, secret: SecretValue): string {
  return createHmac('sha256', key).update(`${secret.name}\0${secret.reveal()}`).digest('hex').slice(0, 16);
}

/** The version of one program's secrets file: every secret's version, and the account that owns the file. */
export function secretsFileVersion(key: string, secrets: ResolvedSecrets, owner: string): string {
  const parts = [owner, ...secrets.map((s) => `${s.name}=${secretVersion(key, s)}`)];
  return createHmac('sha256', key).update(parts.join('\0')).digest('hex').slice(0, 16);
}

/** The secrets file's text: `NAME=<quoted value>` lines that `.` (with `set -a`) reads back byte for byte. */
export function secretsFileText(secrets: ResolvedSecrets): string {
  return secrets.map((s) => `${s.name}=${shellQuote(s.reveal())}\n`).join('');
}
