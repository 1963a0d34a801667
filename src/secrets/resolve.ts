// Reads an app's secrets on the deploying machine, once per run and before anything connects (docs/tasks.md,
// "secrets"). A secret that cannot be read stops the run with exit 2, naming the secret and its source (never a value).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../errors.ts';
import type { NormalisedSecret } from '../tasks/normalised.ts';
import type { ResolvedSecrets } from './values.ts';
import { SecretValue } from './values.ts';

/** How long a source command (`pass show …`, `op read …`, `vault kv get …`) may take: it may ask for a PIN. */
export const secretCommandTimeoutMs = 60_000;

export interface ResolveContext {
  /** The task files' project: `file` sources are relative to it, and `command` sources run in it. */
  project: string;
  env: NodeJS.ProcessEnv;
  /** Which app, for the messages (`tasks/api.ts: app 'api'`). */
  where: string;
  /** The key the names are under in messages (`secrets.DB_PASSWORD`); '' when the names are keys themselves. */
  key?: string;
}

export async function resolveSecrets(
  secrets: readonly NormalisedSecret[],
  context: ResolveContext,
): Promise<ResolvedSecrets> {
  const results = await Promise.all(secrets.map((s) => resolveOne(s, context)));
  const key = context.key ?? 'secrets';
  const problems = results.flatMap((r) =>
    typeof r === 'string' ? [`${context.where} ${key ? `${key}.` : ''}${r}`] : [],
  );
  if (problems.length > 0) throw new ValidationError(`secrets: ${problems.length} could not be read`, problems);
  return results.filter((r): r is SecretValue => r instanceof SecretValue);
}

/** The value, or a problem `NAME: …` that names the source and never the value. */
async function resolveOne(secret: NormalisedSecret, context: ResolveContext): Promise<SecretValue | string> {
  const { name, source } = secret;
  let value: string;
  if ('env' in source) {
    const given = context.env[source.env];
    if (given === undefined) return `${name}: the environment variable ${source.env} is not set`;
    value = given;
  } else if ('file' in source) {
    const file = path.resolve(context.project, source.file);
    try {
      value = withoutFinalNewline(await readFile(file, 'utf8'));
    } catch (error) {
      return `${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  } else {
    const ran = await runSourceCommand(source.command, context);
    if (ran.startsWith('\0')) return `${name}: the command \`${source.command}\` ${ran.slice(1)}`;
    value = ran;
  }
  if (value === '') return `${name}: ${describeSource(secret)} gave an empty value`;
  if (value.includes('\0')) return `${name}: ${describeSource(secret)} gave a value with a NUL byte`;
  return new SecretValue(name, value);
}

/** Its stdout less the final newline; or `\0` and why it failed (its stderr's last line: tools say why there). */
function runSourceCommand(command: string, context: ResolveContext): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { cwd: context.project, env: context.env, timeout: secretCommandTimeoutMs, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(withoutFinalNewline(stdout));
        const last = stderr.trim().split('\n').pop() ?? '';
        const why = error.killed
          ? `did not finish within ${secretCommandTimeoutMs / 1000}s`
          : `exited ${String(error.code)}`;
        resolve(`\0${why}${last ? `: ${last}` : ''}`);
      },
    );
  });
}

function withoutFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

function describeSource({ source }: NormalisedSecret): string {
  if ('env' in source) return `the environment variable ${source.env}`;
  if ('file' in source) return `the file ${source.file}`;
  return `the command \`${source.command}\``;
}
