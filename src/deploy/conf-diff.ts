// The conf diff a dry run and --json show (docs/deploy.md, "Dry run"): which lines change, never a value that may be
// secret. `environment=` values are replaced by a word saying whether each changed; a secret's version line becomes
// `<secret NAME changed>` (its keyed version says nothing to a reader, but neither is it for one).
import { createTwoFilesPatch } from 'diff';

// KEY="value", KEY='value' or KEY=value, as Supervisor's environment= holds them (comma separated).
const environmentPair = /([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^,]*)/g;
const secretLine = /^; secret ([A-Za-z_][A-Za-z0-9_]*), version [0-9a-f]+$/;

function environmentOf(conf: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = '';
  for (const line of conf.split('\n')) {
    if (line.startsWith('[')) section = line.trim();
    const m = /^\s*environment\s*=(.*)$/.exec(line);
    if (!m) continue;
    for (const pair of (m[1] ?? '').matchAll(environmentPair)) values.set(`${section} ${pair[1]}`, pair[2] ?? '');
  }
  return values;
}

function secretsOf(conf: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of conf.split('\n')) {
    const m = secretLine.exec(line);
    if (m) versions.set(m[1] ?? '', line);
  }
  return versions;
}

/** `conf` with values hidden; `other` is the conf it is compared with (a value that differs there says so). */
function withoutValues(conf: string, other: string, side: 'old' | 'new'): string {
  const theirs = environmentOf(other);
  const theirSecrets = secretsOf(other);
  let section = '';
  return conf
    .split('\n')
    .map((line) => {
      if (line.startsWith('[')) section = line.trim();
      const secret = secretLine.exec(line);
      if (secret) {
        const name = secret[1] ?? '';
        const same = theirSecrets.get(name) === line;
        return same ? `; <secret ${name}>` : `; <secret ${name} ${side === 'old' ? 'before' : 'changed'}>`;
      }
      const m = /^(\s*environment\s*=)(.*)$/.exec(line);
      if (!m) return line;
      const pairs = (m[2] ?? '').replace(environmentPair, (_pair, key: string, value: string) => {
        const same = theirs.get(`${section} ${key}`) === value;
        return `${key}=<${same ? 'value' : side === 'old' ? 'value before' : 'value changed'}>`;
      });
      return `${m[1] ?? ''}${pairs}`;
    })
    .join('\n');
}

/** A unified diff of the host's conf and this run's, without any `environment=` value or secret version. */
export function confDiffWithoutValues(file: string, onHost: string | null, next: string): string {
  const before = onHost ?? '';
  return createTwoFilesPatch(
    file,
    file,
    withoutValues(before, next, 'old'),
    withoutValues(next, before, 'new'),
    'on the host',
    'this deploy',
  );
}
