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
  const at = (key: string) => join(path, key);

  // A string option written into the .conf; `template` marks those rendered per host.
  const confString = (key: keyof ProgramSpec, template: boolean): string | undefined => {
    if (spec[key] === undefined) return undefined;
    const text = c.string(spec[key], at(key));
    if (text === undefined) return undefined;
    const problem = confValueProblem(text);
    if (problem) return c.report(at(key), problem);
    strings.push({ path: at(key), text, template, conf: true });
    return text;
  };
  const optional = <T>(key: keyof ProgramSpec, check: (v: unknown, p: string) => T | undefined, fallback: T): T => {
    if (spec[key] === undefined) return fallback;
    return check(spec[key], at(key)) ?? fallback;
  };
  const absolute = (key: keyof ProgramSpec): string | undefined => {
    const text = confString(key, true);
    if (text !== undefined && !/^(\/|\{\{)/.test(text)) return c.report(at(key), `'${text}' is not an absolute path`);
    return text;
  };

  const command =
    spec.command === undefined ? c.report(path, "missing 'command' (required)") : confString('command', true);
  const numprocs = optional('numprocs', (v, p) => c.integer(v, p, 1, 100, 'an integer from 1 to 100'), 1);
  let processName = confString('process_name', false);
  if (processName !== undefined && /[ :/]/.test(processName)) {
    processName = c.report(
      at('process_name'),
      `'${processName}' is not a valid process_name (Supervisor refuses ' ', ':' and '/')`,
    );
  } else if (processName !== undefined && numprocs > 1 && !processName.includes('%(process_num)')) {
    processName = c.report(
      at('process_name'),
      `'${processName}' must contain %(process_num) when numprocs > 1 (e.g. '%(program_name)s_%(process_num)02d')`,
    );
  }
  const directory = absolute('directory');
  let user = confString('user', false);
  if (user !== undefined && !userPattern.test(user)) user = c.report(at('user'), `'${user}' is not a user name`);
  const environment = validateEnvironment(c, spec.environment, at('environment'), strings);

  const autostart = optional('autostart', (v, p) => c.boolean(v, p), true);
  const autorestart = optional<boolean | 'unexpected'>(
    'autorestart',
    (v, p) =>
      typeof v === 'boolean' || v === 'unexpected'
        ? v
        : c.report(p, `${describe(v)} is not valid (expected true, false or 'unexpected')`),
    true,
  );
  const seconds = (v: unknown, p: string) =>
    c.integer(v, p, 0, maxSeconds, `a whole number of seconds from 0 to ${maxSeconds}`);
  const startsecs = optional('startsecs', seconds, 1);
  const startretries = optional('startretries', (v, p) => c.integer(v, p, 0, 100, 'an integer from 0 to 100'), 3);
  const stopsignal = optional<StopSignal>(
    'stopsignal',
    (v, p) =>
      stopSignals.includes(v as StopSignal)
        ? (v as StopSignal)
        : c.report(p, `${describe(v)} is not a stop signal (expected one of ${stopSignals.join(', ')})`),
    'TERM',
  );
  const stopwaitsecs = optional('stopwaitsecs', seconds, 10);
  const stopasgroup = optional('stopasgroup', (v, p) => c.boolean(v, p), true);
  const killasgroup = optional('killasgroup', (v, p) => c.boolean(v, p), true);
  if (stopasgroup && !killasgroup)
    c.report(at('killasgroup'), 'must be true when stopasgroup is true (Supervisor refuses the pair)');
  const priority = optional<number | undefined>(
    'priority',
    (v, p) => c.integer(v, p, -999_999, 999_999, 'an integer'),
    undefined,
  );
  const exitcodes = optional<number[] | undefined>('exitcodes', (v, p) => validateExitCodes(c, v, p), undefined);
  const redirectStderr = optional('redirect_stderr', (v, p) => c.boolean(v, p), false);
  const stdoutLogfile = absolute('stdout_logfile');
  const stderrLogfile = absolute('stderr_logfile');
  if (redirectStderr && stderrLogfile !== undefined)
    c.report(at('stderr_logfile'), 'is ignored when redirect_stderr is true (remove one of them)');
  let umask = spec.umask === undefined ? undefined : c.string(spec.umask, at('umask'));
  if (umask !== undefined && !umaskPattern.test(umask))
    umask = c.report(at('umask'), `'${umask}' is not an octal umask (expected e.g. '022')`);

  if (c.problems.length > before || command === undefined) return undefined;
  const logName = numprocs > 1 ? `${name}_%(process_num)02d` : name;
  return {
    name,
    command,
    numprocs,
    ...(processName !== undefined || numprocs > 1
      ? { process_name: processName ?? '%(program_name)s_%(process_num)02d' }
      : {}),
    directory: directory ?? `${app.root}/current`,
    ...(user !== undefined ? { user } : {}),
    environment,
    autostart,
    autorestart,
    startsecs,
    startretries,
    stopsignal,
    stopwaitsecs,
    stopasgroup,
    killasgroup,
    ...(priority !== undefined ? { priority } : {}),
    ...(exitcodes !== undefined ? { exitcodes } : {}),
    redirect_stderr: redirectStderr,
    stdout_logfile: stdoutLogfile ?? `${app.logDir}/${logName}.out.log`,
    ...(redirectStderr ? {} : { stderr_logfile: stderrLogfile ?? `${app.logDir}/${logName}.err.log` }),
    ...(umask !== undefined ? { umask } : {}),
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
