// POSIX shell quoting: every value that reaches a remote shell goes through here.

const safe = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for sh/bash/dash: unchanged when it has only safe characters, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && safe.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins words into one command line, each quoted. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
