// How an app's secrets reach its programs on a host (docs/remote-layout.md, docs/tasks.md "secrets"): one file per
// program, `0600` and owned by the account the program runs as, named by a keyed version of its content; the
// program's command starts with a tiny wrapper that reads the file and becomes the program. Chosen over
// `environment=` in the conf: the conf would then hold the values (root-readable, and compared by digest), and
// supervisord shows a program's environment to nobody but keeps it in its own memory for every restart anyway.
import { randomBytes } from 'node:crypto';
import { shellQuote } from '../shell/quote.ts';
import type { ResolvedSecrets } from '../secrets/values.ts';
import { secretVersion, secretsFileText, secretsFileVersion } from '../secrets/values.ts';
import type { ConfSecrets } from './confgen.ts';

export interface SecretsPaths {
  /** `<root>/.convoy/secrets.key`: the host's HMAC key for this app (the login's, 0600). */
  key: string;
  /** `<root>/.convoy/bin/with-secrets`: the wrapper (the login's, 0755). */
  wrapper: string;
  /** `<root>/shared/.convoy-secrets`: the files (a directory 0711: no one else can list it). */
  dir: string;
}

export function secretsPaths(root: string): SecretsPaths {
  return {
    key: `${root}/.convoy/secrets.key`,
    wrapper: `${root}/.convoy/bin/with-secrets`,
    dir: `${root}/shared/.convoy-secrets`,
  };
}

/** A new key for a host that has none yet: 256 random bits, hex. */
export function newSecretsKey(): string {
  return randomBytes(32).toString('hex');
}

// `set -a` exports what the file assigns; `exec` makes the program the process supervisord watches (signals,
// PID). Exit 78 (EX_CONFIG) when the file cannot be read: supervisord shows it as the program's exit status.
export const wrapperText = [
  '#!/bin/sh',
  "# Written by Convoy: reads the program's secrets (a file only the program's account can read), then runs it.",
  // `.` of a file it cannot read ends sh at once (a special builtin): check first, to say why and exit 78.
  '[ -r "$1" ] || { echo "with-secrets: cannot read $1" >&2; exit 78; }',
  'set -a',
  '. "$1"',
  'set +a',
  'shift',
  'exec "$@"',
  '',
].join('\n');

/** One program's secrets file on the host: its path, its owner, and its text (to go on stdin only). */
export interface SecretsFile {
  program: string;
  owner: string;
  path: string;
}

export class SecretsOnHost {
  constructor(
    private readonly paths: SecretsPaths,
    private readonly key: string,
    private readonly secrets: ResolvedSecrets,
  ) {}

  /** The file of a program run by `user` (undefined = root, as supervisord runs it then). */
  fileFor(program: string, user: string | undefined): SecretsFile {
    const owner = user ?? 'root';
    const version = secretsFileVersion(this.key, this.secrets, owner);
    return { program, owner, path: `${this.paths.dir}/${program}.${version}.env` };
  }

  /** What the conf generator needs: the command prefix of each program, and each secret's version. */
  forConf(files: Map<string, SecretsFile>): ConfSecrets {
    return {
      prefixFor: (program, user) => {
        const file = this.fileFor(program, user);
        files.set(program, file);
        return [this.paths.wrapper, file.path];
      },
      versions: this.secrets.map((s) => ({ name: s.name, version: secretVersion(this.key, s) })),
    };
  }

  /** The file's bytes: only ever sent on a step's stdin. */
  text(): string {
    return secretsFileText(this.secrets);
  }
}

/** As the login: the key (when new), the wrapper and the files' directory, each with its mode. */
export function prepareSecretsScript(paths: SecretsPaths, newKey: boolean): string {
  const q = shellQuote;
  const wrapperTmp = q(`${paths.wrapper}.convoy-tmp`);
  return [
    'set -e',
    `mkdir -p ${q(paths.wrapper.slice(0, paths.wrapper.lastIndexOf('/')))} ${q(paths.dir)}`,
    `chmod 0711 ${q(paths.dir)}`,
    newKey
      ? `umask 077; IFS= read -r k; [ -f ${q(paths.key)} ] || printf '%s\\n' "$k" > ${q(paths.key)}; umask 022`
      : '',
    `printf '%s' ${q(wrapperText)} > ${wrapperTmp}`,
    `chmod 0755 ${wrapperTmp} && mv -f ${wrapperTmp} ${q(paths.wrapper)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Writes one program's file unless it is there already (its name is its content's version): umask 077, then its
 * owner, `0600`, and a rename. Run as root when the owner is not the login. The text comes on stdin.
 */
export function writeSecretsFileScript(file: SecretsFile, asRoot: boolean): string {
  const q = shellQuote;
  const tmp = q(`${file.path}.convoy-tmp`);
  return [
    'set -e',
    `if [ -f ${q(file.path)} ]; then cat > /dev/null; exit 0; fi`,
    `umask 077; cat > ${tmp}`,
    asRoot ? `chown ${q(file.owner)} ${tmp}` : '',
    `chmod 0600 ${tmp} && mv -f ${tmp} ${q(file.path)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** Removes the files neither `keep` conf refers to (the new one, and the one a revert would go back to). */
export function pruneSecretsScript(paths: SecretsPaths, confs: readonly (string | null)[]): string {
  const pattern = /\/\.convoy-secrets\/([A-Za-z0-9_.-]+\.env)/g;
  const keep = [...new Set(confs.flatMap((c) => [...(c ?? '').matchAll(pattern)].map((m) => m[1] ?? '')))];
  const dir = shellQuote(paths.dir);
  const cases = keep.length > 0 ? keep.map(shellQuote).join('|') : "''";
  return `if [ -d ${dir} ]; then for f in ${dir}/*.env ${dir}/*.convoy-tmp; do [ -e "$f" ] || continue; case "\${f##*/}" in ${cases}) ;; *) rm -f "$f" ;; esac; done; fi`;
}
