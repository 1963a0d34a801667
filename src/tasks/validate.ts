// Checks one app spec in stages (types and keys, defaults, variables against the target's hosts) and reports
// every problem at once. Pure: the spec may come from plain JavaScript, so nothing about it is assumed.
import type { AppSpec } from './define.ts';
import { reloadSignals } from './define.ts';
import { absolutePathProblem, nameProblem } from './names.ts';
import type { NormalisedApp, NormalisedProgram } from './normalised.ts';
import { defaultPriority } from './normalised.ts';
import type { SpecProblem, SpecString } from './shape.ts';
import { Checker } from './shape.ts';
import { closest } from '../inventory/suggest.ts';
import { programExpansions, unknownExpansions } from './supervisor-values.ts';
import { validateProgram } from './validate-program.ts';
import { validateHealthCheck, validateHooks, validateRolling } from './validate-rollout.ts';
import { validateNotify } from './validate-notify.ts';
import { validateSecrets } from './validate-secrets.ts';
import { validateShared, validateTemplates } from './validate-shared.ts';
import type { HostVars } from './variables.ts';
import { checkVariables } from './variables.ts';

export type { HostVars } from './variables.ts';
export type { SpecProblem } from './shape.ts';

const appKeySet: Record<keyof AppSpec, true> = {
  name: true,
  hosts: true,
  root: true,
  artifact: true,
  keepReleases: true,
  logDir: true,
  programs: true,
  confFiles: true,
  healthcheck: true,
  rolling: true,
  hooks: true,
  secrets: true,
  reload: true,
  processRestart: true,
  shared: true,
  templates: true,
  notify: true,
  fanout: true,
};

export interface ValidateOptions {
  /** The hosts of the app's target; without them (or with none) `{{var}}` use is not checked. */
  hosts?: readonly HostVars[];
}

// `app` is set only when there are no problems.
export interface AppValidation {
  app?: NormalisedApp;
  problems: SpecProblem[];
}

export function validateApp(value: unknown, options: ValidateOptions = {}): AppValidation {
  const c = new Checker();
  const spec = c.object(value, '', Object.keys(appKeySet));
  if (!spec) return { problems: c.problems };
  const strings: SpecString[] = [];

  const name = required(c, spec, 'name');
  const badName = name === undefined ? undefined : nameProblem('app', name);
  if (badName) c.report('name', badName);
  const root = absolutePath(c, required(c, spec, 'root'), 'root');
  const hosts = spec.hosts === undefined ? undefined : c.string(spec.hosts, 'hosts');
  const artifact = spec.artifact === undefined ? undefined : c.string(spec.artifact, 'artifact');
  const keepReleases =
    spec.keepReleases === undefined
      ? 5
      : c.integer(spec.keepReleases, 'keepReleases', 1, 100, 'an integer from 1 to 100');
  const logDir = spec.logDir === undefined ? undefined : absolutePath(c, c.string(spec.logDir, 'logDir'), 'logDir');
  const layout = { root: root ?? '/', logDir: logDir ?? `${root ?? ''}/shared/log` };

  const { programs, confFiles } = validateConfSources(c, spec, layout, strings);
  const healthcheck = spec.healthcheck === undefined ? undefined : validateHealthCheck(c, spec.healthcheck, strings);
  const rolling = spec.rolling === undefined ? undefined : validateRolling(c, spec.rolling);
  const hooks = spec.hooks === undefined ? {} : validateHooks(c, spec.hooks, strings);
  const secrets = spec.secrets === undefined ? [] : validateSecrets(c, spec.secrets, programs.length > 0);
  const restart = { ...validateRestart(c, spec), ...validateFanout(c, spec) };
  const shared = spec.shared === undefined ? { dirs: [], files: [] } : validateShared(c, spec.shared);
  const templates = spec.templates === undefined ? [] : validateTemplates(c, spec.templates, shared);
  const notify = spec.notify === undefined ? [] : validateNotify(c, spec.notify);

  checkExpansions(c, strings);
  if (options.hosts && options.hosts.length > 0) c.problems.push(...checkVariables(strings, options.hosts));

  if (c.problems.length > 0 || name === undefined || root === undefined || keepReleases === undefined || !confFiles) {
    return { problems: c.problems };
  }
  programs.sort(
    (a, b) =>
      (a.priority ?? defaultPriority) - (b.priority ?? defaultPriority) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const app: NormalisedApp = {
    name,
    ...(hosts !== undefined ? { hosts } : {}),
    root,
    ...(artifact !== undefined ? { artifact } : {}),
    keepReleases,
    logDir: layout.logDir,
    programs,
    confFiles,
    ...(healthcheck ? { healthcheck } : {}),
    ...(rolling ? { rolling } : {}),
    hooks,
    secrets,
    ...restart,
    shared,
    templates,
    ...(notify.length > 0 ? { notify } : {}),
  };
  return { app, problems: [] };
}

/** `fanout`: hosts this machine uploads to, and each host passes the artifact on to (docs/deploy.md, "Fan-out"). */
function validateFanout(c: Checker, spec: Record<string, unknown>): Pick<NormalisedApp, 'fanout'> {
  const fanout =
    spec.fanout === undefined ? undefined : c.integer(spec.fanout, 'fanout', 0, 8, 'an integer from 0 to 8');
  return fanout === undefined ? {} : { fanout };
}

/** `reload` (a signal name) and `processRestart`: how a restart reaches the app's processes. */
function validateRestart(c: Checker, spec: Record<string, unknown>): Pick<NormalisedApp, 'reload' | 'processRestart'> {
  const oneOf = <T extends string>(key: string, known: readonly T[]): T | undefined => {
    const value = spec[key] === undefined ? undefined : c.string(spec[key], key);
    if (value === undefined || (known as readonly string[]).includes(value)) return value as T | undefined;
    c.report(key, `'${value}' is not one of ${known.join(', ')}`);
    return undefined;
  };
  const reload = oneOf('reload', reloadSignals);
  const processRestart = oneOf('processRestart', ['together', 'one-at-a-time'] as const);
  if (reload && processRestart === 'one-at-a-time')
    c.report('processRestart', "'one-at-a-time' has no meaning with reload: a signal stops no process");
  return { ...(reload ? { reload } : {}), ...(processRestart ? { processRestart } : {}) };
}

/** `programs` and `confFiles`: at least one of them (confFiles undefined when it was not a list of strings). */
function validateConfSources(
  c: Checker,
  spec: Record<string, unknown>,
  layout: { root: string; logDir: string },
  strings: SpecString[],
): { programs: NormalisedProgram[]; confFiles: string[] | undefined } {
  const programs: NormalisedProgram[] = [];
  const programSpecs = spec.programs === undefined ? {} : c.record(spec.programs, 'programs');
  for (const [programName, programSpec] of Object.entries(programSpecs ?? {})) {
    const program = validateProgram(c, programName, programSpec, layout, strings);
    if (program) programs.push(program);
  }
  const confFiles = spec.confFiles === undefined ? [] : c.stringList(spec.confFiles, 'confFiles');
  if (Object.keys(programSpecs ?? {}).length === 0 && (confFiles?.length ?? 0) === 0 && programSpecs && confFiles) {
    c.report(
      '',
      "has neither 'programs' nor 'confFiles' (expected at least one program, or a hand-written .conf file)",
    );
  }
  return { programs, confFiles };
}

function required(c: Checker, spec: Record<string, unknown>, key: string): string | undefined {
  if (spec[key] === undefined) return c.report('', `missing '${key}' (required)`);
  return c.string(spec[key], key);
}

function absolutePath(c: Checker, path: string | undefined, key: string): string | undefined {
  if (path === undefined) return undefined;
  const problem = absolutePathProblem(path);
  return problem ? c.report(key, problem) : path;
}

// supervisord refuses the whole file over one unknown `%(name)s`; say so before anything is uploaded.
function checkExpansions(c: Checker, strings: readonly SpecString[]): void {
  for (const { path, text, conf } of strings) {
    if (!conf) continue;
    for (const name of unknownExpansions(text)) {
      const hint = closest(name, programExpansions);
      const expected =
        hint === undefined
          ? `expected one of ${programExpansions.join(', ')} or ENV_<variable>`
          : `did you mean '${hint}'?`;
      c.report(path, `%(${name}) is not one of Supervisor's expansions (${expected})`);
    }
  }
}
