// Stage 1 and 2 for one `programs.<name>` entry: Supervisor's option types, then Convoy's defaults.
import type { ProgramSpec, StopSignal } from './define.ts';
import { nameProblem } from './names.ts';
import type { NormalisedProgram } from './normalised.ts';
import type { Checker, SpecString } from './shape.ts';
import { describe, join } from './shape.ts';
import { confValueProblem, environmentValueProblem } from './supervisor-values.ts';

// Every ProgramSpec key, checked against the type so that a new option cannot be forgotten here.
const programKeySet: Record<keyof ProgramSpec, true> = {
  command: true,
  numprocs: true,
  process_name: true,
  directory: true,
  user: true,
  environment: true,
  autostart: true,
  autorestart: true,
  startsecs: true,
  startretries: true,
  stopsignal: true,
  stopwaitsecs: true,
  stopasgroup: true,
  killasgroup: true,
  priority: true,
  exitcodes: true,
  redirect_stderr: true,
  stdout_logfile: true,
  stderr_logfile: true,
  umask: true,
};
const programKeys = Object.keys(programKeySet);

const stopSignals: readonly StopSignal[] = ['TERM', 'HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2'];
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const userPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const umaskPattern = /^[0-7]{3,4}$/;
const maxSeconds = 86_400;

// One program's spec under check: its keys, where they are, and where strings that reach the host are collected.
interface SpecContext {
  c: Checker;
  spec: Record<string, unknown>;
  path: string;
  strings: SpecString[];
}

type Optional<K extends keyof NormalisedProgram> = Partial<Pick<NormalisedProgram, K>>;

// What runs, how many, as whom and where; each option undefined when unset or refused.
type LaunchOptions = Pick<NormalisedProgram, 'numprocs' | 'environment'> &
  Optional<'command' | 'process_name' | 'directory' | 'user'>;

// When it starts, restarts and stops.
type LifecycleOptions = Pick<
  NormalisedProgram,
  | 'autostart'
  | 'autorestart'
  | 'startsecs'
  | 'startretries'
  | 'stopsignal'
  | 'stopwaitsecs'
  | 'stopasgroup'
  | 'killasgroup'
> &
  Optional<'priority' | 'exitcodes'>;

// The files it writes: its logs, and the umask of everything it creates.
type FileOptions = Pick<NormalisedProgram, 'redirect_stderr'> & Optional<'stdout_logfile' | 'stderr_logfile' | 'umask'>;

// The program, or undefined when it has problems (reported on `c`); templated strings are appended to `strings`.
export function validateProgram(
  c: Checker,
  name: string,
  value: unknown,
  app: { root: string; logDir: string },
  strings: SpecString[],
): NormalisedProgram | undefined {
  const path = join('programs', name);
  const before = c.problems.length;
  const badName = nameProblem('program', name);
  if (badName) c.report(path, badName);
  const spec = c.object(value, path, programKeys);
  if (!spec) return undefined;
  const context: SpecContext = { c, spec, path, strings };
  // In this order, so that problems keep the order of the options in ProgramSpec.
  const launch = launchOptions(context);
  const lifecycle = lifecycleOptions(context);
  const files = fileOptions(context);
  if (c.problems.length > before || launch.command === undefined) return undefined;
  return withDefaults(name, app, { ...launch, command: launch.command, ...lifecycle, ...files });
}

function at(context: SpecContext, key: string): string {
  return join(context.path, key);
}

// A string option written into the .conf; `template` marks those rendered per host.
function confString(context: SpecContext, key: keyof ProgramSpec, template: boolean): string | undefined {
  const { c, spec, strings } = context;
  if (spec[key] === undefined) return undefined;
  const text = c.string(spec[key], at(context, key));
  if (text === undefined) return undefined;
  const problem = confValueProblem(text);
  if (problem) return c.report(at(context, key), problem);
  strings.push({ path: at(context, key), text, template, conf: true });
  return text;
}

// The option checked by `check` when it is set, else `fallback` (also when `check` refused it).
function optional<T>(
  context: SpecContext,
  key: keyof ProgramSpec,
  check: (v: unknown, p: string) => T | undefined,
  fallback: T,
): T {
  if (context.spec[key] === undefined) return fallback;
  return check(context.spec[key], at(context, key)) ?? fallback;
}

function absolute(context: SpecContext, key: keyof ProgramSpec): string | undefined {
  const text = confString(context, key, true);
  if (text !== undefined && !/^(\/|\{\{)/.test(text))
    return context.c.report(at(context, key), `'${text}' is not an absolute path`);
  return text;
}

function launchOptions(context: SpecContext): LaunchOptions {
  const { c, spec, path } = context;
  const command =
    spec.command === undefined ? c.report(path, "missing 'command' (required)") : confString(context, 'command', true);
  const numprocs = optional(context, 'numprocs', (v, p) => c.integer(v, p, 1, 100, 'an integer from 1 to 100'), 1);
  const processName = checkProcessName(context, numprocs);
  const directory = absolute(context, 'directory');
  let user = confString(context, 'user', false);
  if (user !== undefined && !userPattern.test(user))
    user = c.report(at(context, 'user'), `'${user}' is not a user name`);
  const environment = validateEnvironment(c, spec.environment, at(context, 'environment'), context.strings);
  return { command, numprocs, process_name: processName, directory, user, environment };
}

// Supervisor refuses some characters in process_name, and needs %(process_num) in it to tell processes apart.
function checkProcessName(context: SpecContext, numprocs: number): string | undefined {
  const processName = confString(context, 'process_name', false);
  if (processName !== undefined && /[ :/]/.test(processName)) {
    return context.c.report(
      at(context, 'process_name'),
      `'${processName}' is not a valid process_name (Supervisor refuses ' ', ':' and '/')`,
    );
  }
  if (processName !== undefined && numprocs > 1 && !processName.includes('%(process_num)')) {
    return context.c.report(
      at(context, 'process_name'),
      `'${processName}' must contain %(process_num) when numprocs > 1 (e.g. '%(program_name)s_%(process_num)02d')`,
    );
  }
  return processName;
}

function lifecycleOptions(context: SpecContext): LifecycleOptions {
  const { c } = context;
  const start = startOptions(context);
  const stop = stopOptions(context);
  const priority = optional<number | undefined>(
    context,
    'priority',
    (v, p) => c.integer(v, p, -999_999, 999_999, 'an integer'),
    undefined,
  );
  const exitcodes = optional<number[] | undefined>(
    context,
    'exitcodes',
    (v, p) => validateExitCodes(c, v, p),
    undefined,
  );
  return { ...start, ...stop, priority, exitcodes };
}

function startOptions(
  context: SpecContext,
): Pick<NormalisedProgram, 'autostart' | 'autorestart' | 'startsecs' | 'startretries'> {
  const { c } = context;
  const autostart = optional(context, 'autostart', (v, p) => c.boolean(v, p), true);
  const autorestart = optional<boolean | 'unexpected'>(
    context,
    'autorestart',
    (v, p) =>
      typeof v === 'boolean' || v === 'unexpected'
        ? v
        : c.report(p, `${describe(v)} is not valid (expected true, false or 'unexpected')`),
    true,
  );
  const startsecs = optional(context, 'startsecs', (v, p) => seconds(c, v, p), 1);
  const startretries = optional(
    context,
    'startretries',
    (v, p) => c.integer(v, p, 0, 100, 'an integer from 0 to 100'),
    3,
  );
  return { autostart, autorestart, startsecs, startretries };
}

function stopOptions(
  context: SpecContext,
): Pick<NormalisedProgram, 'stopsignal' | 'stopwaitsecs' | 'stopasgroup' | 'killasgroup'> {
  const { c } = context;
  const stopsignal = optional<StopSignal>(
    context,
    'stopsignal',
    (v, p) =>
      stopSignals.includes(v as StopSignal)
        ? (v as StopSignal)
        : c.report(p, `${describe(v)} is not a stop signal (expected one of ${stopSignals.join(', ')})`),
    'TERM',
  );
  const stopwaitsecs = optional(context, 'stopwaitsecs', (v, p) => seconds(c, v, p), 10);
  const stopasgroup = optional(context, 'stopasgroup', (v, p) => c.boolean(v, p), true);
  const killasgroup = optional(context, 'killasgroup', (v, p) => c.boolean(v, p), true);
  if (stopasgroup && !killasgroup)
    c.report(at(context, 'killasgroup'), 'must be true when stopasgroup is true (Supervisor refuses the pair)');
  return { stopsignal, stopwaitsecs, stopasgroup, killasgroup };
}

function seconds(c: Checker, value: unknown, path: string): number | undefined {
  return c.integer(value, path, 0, maxSeconds, `a whole number of seconds from 0 to ${maxSeconds}`);
}

function fileOptions(context: SpecContext): FileOptions {
  const { c, spec } = context;
  const redirectStderr = optional(context, 'redirect_stderr', (v, p) => c.boolean(v, p), false);
  const stdoutLogfile = absolute(context, 'stdout_logfile');
  const stderrLogfile = absolute(context, 'stderr_logfile');
  if (redirectStderr && stderrLogfile !== undefined)
    c.report(at(context, 'stderr_logfile'), 'is ignored when redirect_stderr is true (remove one of them)');
  let umask = spec.umask === undefined ? undefined : c.string(spec.umask, at(context, 'umask'));
  if (umask !== undefined && !umaskPattern.test(umask))
    umask = c.report(at(context, 'umask'), `'${umask}' is not an octal umask (expected e.g. '022')`);
  return { redirect_stderr: redirectStderr, stdout_logfile: stdoutLogfile, stderr_logfile: stderrLogfile, umask };
}

// Stage 2: Convoy's defaults for what the spec left out; options without a default stay absent.
function withDefaults(
  name: string,
  app: { root: string; logDir: string },
  checked: LaunchOptions & { command: string } & LifecycleOptions & FileOptions,
): NormalisedProgram {
  const { numprocs, process_name: processName, user, priority, exitcodes, redirect_stderr: redirectStderr } = checked;
  const logName = numprocs > 1 ? `${name}_%(process_num)02d` : name;
  return {
    name,
    command: checked.command,
    numprocs,
    ...(processName !== undefined || numprocs > 1
      ? { process_name: processName ?? '%(program_name)s_%(process_num)02d' }
      : {}),
    directory: checked.directory ?? `${app.root}/current`,
    ...(user !== undefined ? { user } : {}),
    environment: checked.environment,
    autostart: checked.autostart,
    autorestart: checked.autorestart,
    startsecs: checked.startsecs,
    startretries: checked.startretries,
    stopsignal: checked.stopsignal,
    stopwaitsecs: checked.stopwaitsecs,
    stopasgroup: checked.stopasgroup,
    killasgroup: checked.killasgroup,
    ...(priority !== undefined ? { priority } : {}),
    ...(exitcodes !== undefined ? { exitcodes } : {}),
    redirect_stderr: redirectStderr,
    stdout_logfile: checked.stdout_logfile ?? `${app.logDir}/${logName}.out.log`,
    ...(redirectStderr ? {} : { stderr_logfile: checked.stderr_logfile ?? `${app.logDir}/${logName}.err.log` }),
    ...(checked.umask !== undefined ? { umask: checked.umask } : {}),
  };
}

// Keys are shell variable names; values are text or numbers, written as text with keys sorted.
function validateEnvironment(c: Checker, value: unknown, path: string, strings: SpecString[]): Record<string, string> {
  if (value === undefined) return {};
  const env = c.record(value, path);
  if (!env) return {};
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) {
    const at = join(path, key);
    if (!envKeyPattern.test(key)) {
      c.report(
        at,
        `'${key}' is not a valid variable name (expected letters, digits and '_', not starting with a digit)`,
      );
      continue;
    }
    const raw = env[key];
    if (typeof raw === 'number' && Number.isFinite(raw)) {
      out[key] = String(raw);
    } else if (typeof raw === 'string') {
      const problem = environmentValueProblem(raw);
      if (problem) {
        c.report(at, problem);
        continue;
      }
      strings.push({ path: at, text: raw, template: true, conf: true });
      out[key] = raw;
    } else {
      c.report(at, `expected a string or a number, got ${describe(raw)}`);
    }
  }
  return out;
}

// Exit codes that count as expected: integers 0..255, at least one.
function validateExitCodes(c: Checker, value: unknown, path: string): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0)
    return c.report(path, `expected a non-empty array of exit codes, got ${describe(value)}`);
  const codes = value.map((v, i) => c.integer(v, `${path}[${i}]`, 0, 255, 'an exit code (an integer from 0 to 255)'));
  return codes.every((code) => code !== undefined) ? codes : undefined;
}
