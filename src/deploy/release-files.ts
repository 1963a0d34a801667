// What goes into a release besides the artifact (docs/tasks.md, "shared" and "templates"): links to the app's
// shared paths, and files rendered per host from templates. Both are part of the release's identity, so a change to
// either makes a new release (switched, gated and reverted like any other) instead of editing a live one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { SecretValue } from '../secrets/values.ts';
import { shellQuote } from '../shell/quote.ts';
import type { NormalisedApp, NormalisedShared } from '../tasks/normalised.ts';
import type { TemplateHost } from './templates.ts';
import { renderTemplate, templateNames, templateVars } from './templates.ts';

/** The text of each template source, read once per run (keys as the task file writes them). */
export type TemplateTexts = ReadonlyMap<string, string>;

/** Reads the app's template sources, relative to the project; a missing one is bad input (exit 2). */
export function readTemplates(app: NormalisedApp, project: string): TemplateTexts {
  const texts = new Map<string, string>();
  for (const { path: dest, source } of app.templates) {
    if (texts.has(source)) continue;
    try {
      texts.set(source, readFileSync(path.resolve(project, source), 'utf8'));
    } catch {
      throw new UsageError(`templates.${dest}: ${path.resolve(project, source)} not found`);
    }
  }
  return texts;
}

/** The prefix that names a secret in a template: `{{secret.DB_PASSWORD}}`. */
export const secretPrefix = 'secret.';

/** One template as one host gets it. */
export interface RenderedTemplate {
  /** Relative to the release. */
  path: string;
  /** The bytes to write, secret values included: only for the staging script, never shown. */
  text: string;
  /** The secrets it holds, by name (a file with any is written 0640). */
  secrets: string[];
  /** The text with every `{{secret.NAME}}` left as written: what the release's identity is made from. */
  masked: string;
}

export interface ReleaseFiles {
  shared: NormalisedShared;
  templates: RenderedTemplate[];
}

/**
 * The app's shared paths and its templates rendered for `host`: the host's variables and the built-ins (`{{release}}`
 * is the word `current`, as in hooks: the id depends on what is rendered), and `{{secret.NAME}}` for each secret.
 */
export function releaseFilesFor(
  app: NormalisedApp,
  host: TemplateHost,
  texts: TemplateTexts,
  secrets: readonly SecretValue[],
): ReleaseFiles {
  const vars = templateVars(app, host, 'current');
  const withValues = { ...vars, ...Object.fromEntries(secrets.map((s) => [`${secretPrefix}${s.name}`, s.reveal()])) };
  const masked = {
    ...vars,
    ...Object.fromEntries(secrets.map((s) => [`${secretPrefix}${s.name}`, `{{${secretPrefix}${s.name}}}`])),
  };
  const templates = app.templates.map(({ path: dest, source }) => {
    const text = texts.get(source);
    if (text === undefined) throw new UsageError(`templates.${dest}: ${source} was not read`);
    try {
      return {
        path: dest,
        text: renderTemplate(text, withValues),
        secrets: templateNames(text).flatMap((n) => (n.startsWith(secretPrefix) ? [n.slice(secretPrefix.length)] : [])),
        masked: renderTemplate(text, masked),
      };
    } catch (error) {
      // renderTemplate names variables only, never a value.
      throw new UsageError(`templates.${dest} (${source}): ${(error as Error).message}`, { cause: error });
    }
  });
  return { shared: app.shared, templates };
}

/** Whether the release holds more than the artifact. */
export function hasReleaseFiles(files: ReleaseFiles | undefined): files is ReleaseFiles {
  return files !== undefined && files.shared.dirs.length + files.shared.files.length + files.templates.length > 0;
}

/**
 * The release's content hash: the artifact's alone when nothing else goes in (releases made before stay reusable),
 * else a hash of the artifact's, the shared paths and the rendered templates, each secret in them as its keyed
 * version on this host (`versions`, src/secrets/values.ts): never a plain digest of a value.
 */
export function releaseContentHash(
  artifactSha256: string,
  files: ReleaseFiles | undefined,
  versions: ReadonlyMap<string, string>,
): string {
  if (!hasReleaseFiles(files)) return artifactSha256;
  const templates = files.templates.map((t) => [
    t.path,
    t.masked,
    t.secrets.map((n) => `${n}=${versions.get(n) ?? ''}`),
  ]);
  const identity = JSON.stringify({ artifact: artifactSha256, shared: files.shared, templates });
  return createHash('sha256').update(identity).digest('hex');
}

/** `<root>/shared/<path>`. */
export function sharedPath(root: string, rel: string): string {
  return `${root}/shared/${rel}`;
}

/**
 * As the login: every shared dir, and the directory of every shared file, made when missing (0755; an existing one is
 * left as it is), every shared file checked; the missing ones are named together and the step fails (exit 1) before anything else happens.
 */
export function sharedCheckScript(root: string, shared: NormalisedShared): string {
  const q = shellQuote;
  // The directories a shared file sits in are made too (as Capistrano does), so that putting it there is one write.
  const fileDirs = shared.files.map((f) => path.posix.dirname(f)).filter((d) => d !== '.');
  const dirs = [...new Set([...shared.dirs, ...fileDirs])];
  const lines = dirs.map((d) => `(umask 022; mkdir -p ${q(sharedPath(root, d))})`);
  if (shared.files.length === 0) return lines.join('\n');
  lines.push('convoy_missing=');
  for (const f of shared.files) {
    const full = q(sharedPath(root, f));
    lines.push(`[ -f ${full} ] || convoy_missing="$convoy_missing "${full}`);
  }
  const why = ' (put them there on each host: they are linked into every release)';
  lines.push(
    `if [ -n "$convoy_missing" ]; then echo ${q('convoy: missing shared file:')}"$convoy_missing"${q(why)} >&2; exit 1; fi`,
  );
  return lines.join('\n');
}

/**
 * A read for the state script: prints `sharedmissing=1` unless every shared dir and file is there. An unchanged host
 * is answered from that read without a lock (host-deploy.ts), so it must not skip what `sharedCheckScript` would
 * have made or refused; empty when the app has no shared paths.
 */
export function sharedPresentLine(root: string, shared: NormalisedShared): string {
  const tests = [
    ...shared.dirs.map((d) => `[ -d ${shellQuote(sharedPath(root, d))} ]`),
    ...shared.files.map((f) => `[ -f ${shellQuote(sharedPath(root, f))} ]`),
  ];
  return tests.length === 0 ? '' : `${tests.join(' && ')} || echo sharedmissing=1`;
}

/** `a/b/c` -> `a`, `a/b`: the directories a path sits in, inside the release. */
function parents(rel: string): string[] {
  const parts = rel.split('/').slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * Makes room for `rel` in the release `dir`: no parent may be a symlink (an artifact's `var -> /tmp` would take the
 * link or file out of the release), parents made, and whatever the artifact has at `rel` removed (as Capistrano does).
 */
function makeRoom(dir: string, rel: string): string[] {
  const q = shellQuote;
  const checks = parents(rel).map((p) => {
    const why = `convoy: ${p} is a symlink in the release: cannot place ${rel} under it`;
    return `if [ -L ${q(`${dir}/${p}`)} ]; then echo ${q(why)} >&2; exit 1; fi`;
  });
  const parent = path.posix.dirname(rel);
  return [...checks, ...(parent === '.' ? [] : [`mkdir -p ${q(`${dir}/${parent}`)}`]), `rm -rf ${q(`${dir}/${rel}`)}`];
}

/**
 * As the login, in the staged release `dir` (`<root>/releases/<id>.partial`, renamed afterwards: the links are
 * relative, as `current` is): each shared path linked to `<root>/shared/<path>`, then each template written, 0640
 * when it holds a secret (umask 077 while it is written: never readable by others), else 0644.
 */
export function placeReleaseFilesScript(dir: string, files: ReleaseFiles): string {
  const q = shellQuote;
  const lines: string[] = [];
  for (const rel of [...files.shared.dirs, ...files.shared.files]) {
    const up = '../'.repeat(rel.split('/').length + 1);
    lines.push(...makeRoom(dir, rel), `ln -s ${q(`${up}shared/${rel}`)} ${q(`${dir}/${rel}`)}`);
  }
  for (const t of files.templates) {
    const file = q(`${dir}/${t.path}`);
    const mode = t.secrets.length > 0 ? '0640' : '0644';
    lines.push(...makeRoom(dir, t.path), `(umask 077; printf '%s' ${q(t.text)} > ${file})`, `chmod ${mode} ${file}`);
  }
  return lines.join('\n');
}
