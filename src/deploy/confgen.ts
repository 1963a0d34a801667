// The `.conf` include file of one app on one host: a [group:<app>] and its [program:x] sections, byte-stable
// (no timestamps, fixed key order) so that an unchanged deploy writes nothing and restarts nothing.
import { UsageError } from '../errors.ts';
import { shellQuote } from '../shell/quote.ts';
import type { NormalisedApp, NormalisedProgram } from '../tasks/normalised.ts';
import {
  confValueProblem,
  environmentValueProblem,
  escapePercent,
  quoteEnvironmentValue,
} from '../tasks/supervisor-values.ts';
import { confMarker } from './conf-owner.ts';
import type { TemplateEscape } from './templates.ts';
import { renderTemplate, templateVars } from './templates.ts';

export interface ConfContext {
  host: { name: string; address: string; user: string; vars: Readonly<Record<string, string>> };
  /** The release id `{{release}}` stands for. */
  release: string;
  /** The app's secrets on this host (src/deploy/secrets-on-host.ts): each program's command is wrapped. */
  secrets?: ConfSecrets | undefined;
}

export interface ConfSecrets {
  /** The words before a program's command: the wrapper and the program's secrets file (`user` undefined = root). */
  prefixFor(program: string, user: string | undefined): string[];
  /** Each secret's keyed version on this host, for `; secret NAME, version …` lines (a change restarts). */
  versions: readonly { name: string; version: string }[];
}

// How often supervisord %-expands an option: stdout_logfile and stderr_logfile twice (options.py), the rest once.
type Passes = 1 | 2;

function escapeFor(passes: Passes): TemplateEscape {
  return {
    literal: (text) => escapePercent(text, { keepExpansions: true, passes }),
    value: (text) => escapePercent(text, { keepExpansions: false, passes }),
  };
}

export function generateAppConf(app: NormalisedApp, context: ConfContext): string {
  const { host, release } = context;
  const vars = templateVars(app, host, release);
  const where = `app '${app.name}' on host ${host.name}:`;
  const lines = [confMarker(app.name), ...secretLines(context.secrets), ''];

  const priorities = app.programs.flatMap((p) => (p.priority === undefined ? [] : [p.priority]));
  lines.push(`[group:${app.name}]`, `programs=${app.programs.map((p) => p.name).join(',')}`);
  if (priorities.length > 0) lines.push(`priority=${Math.min(...priorities)}`);
  for (const program of app.programs)
    lines.push('', ...programSection(program, vars, `${where} [program:${program.name}]`, defaults(host, context)));
  return `${lines.join('\n')}\n`;
}

/** Names and keyed versions only: never a value (docs/tasks.md, "secrets"). */
function secretLines(secrets: ConfSecrets | undefined): string[] {
  return (secrets?.versions ?? []).map((s) => `; secret ${s.name}, version ${s.version}`);
}

interface ProgramDefaults {
  user: string | undefined;
  secrets: ConfSecrets | undefined;
}

function defaults(host: ConfContext['host'], context: ConfContext): ProgramDefaults {
  return { user: loginUser(host.user), secrets: context.secrets };
}

/** A word of supervisord's command line: its shlex (POSIX rules) reads shell quoting; `%` escaped. */
function commandWord(word: string): string {
  return escapePercent(shellQuote(word), { keepExpansions: false, passes: 1 });
}

/**
 * Whom a program without a declared `user` runs as: the login when it is not root. supervisord runs as root, so with
 * `sudo = true` behind a `deploy` login the app would otherwise run as root while its files belong to the login.
 */
function loginUser(login: string): string | undefined {
  return login === 'root' ? undefined : login;
}

function programSection(
  p: NormalisedProgram,
  vars: Readonly<Record<string, string>>,
  where: string,
  programDefaults: ProgramDefaults,
): string[] {
  // A templated option: rendered plain to check it, then again with `%` escaped for supervisord.
  const render = (key: string, text: string, passes: Passes = 1, problemOf = confValueProblem): string => {
    let plain: string;
    try {
      plain = renderTemplate(text, vars);
    } catch (error) {
      throw new UsageError(`${where} ${key}: ${(error as Error).message}`, { cause: error });
    }
    const problem = problemOf(plain);
    if (problem) throw new UsageError(`${where} ${key}: ${problem}`);
    return renderTemplate(text, vars, escapeFor(passes));
  };
  // A plain option: only checked and escaped.
  const plain = (key: string, text: string): string => {
    const problem = confValueProblem(text);
    if (problem) throw new UsageError(`${where} ${key}: ${problem}`);
    return escapePercent(text, { keepExpansions: true, passes: 1 });
  };

  const plainOrUndefined = (key: string, text: string | undefined) =>
    text === undefined ? undefined : plain(key, text);

  const user = p.user ?? programDefaults.user;
  const prefix = programDefaults.secrets?.prefixFor(p.name, user).map(commandWord) ?? [];
  const options: [string, string | number | boolean | undefined][] = [
    ['command', [...prefix, render('command', p.command)].join(' ')],
    ['process_name', p.process_name === undefined ? undefined : plain('process_name', p.process_name)],
    ['numprocs', p.numprocs > 1 ? p.numprocs : undefined],
    ['directory', render('directory', p.directory)],
    ['user', plainOrUndefined('user', user)],
    ['umask', p.umask],
    [
      'environment',
      environment(p.environment, (key, text) => render(`environment.${key}`, text, 1, environmentValueProblem)),
    ],
    ['priority', p.priority],
    ['autostart', p.autostart],
    ['autorestart', p.autorestart],
    ['startsecs', p.startsecs],
    ['startretries', p.startretries],
    ['exitcodes', p.exitcodes?.join(',')],
    ['stopsignal', p.stopsignal],
    ['stopwaitsecs', p.stopwaitsecs],
    ['stopasgroup', p.stopasgroup],
    ['killasgroup', p.killasgroup],
    ['redirect_stderr', p.redirect_stderr],
    ['stdout_logfile', render('stdout_logfile', p.stdout_logfile, 2)],
    ['stderr_logfile', p.stderr_logfile === undefined ? undefined : render('stderr_logfile', p.stderr_logfile, 2)],
  ];
  return [
    `[program:${p.name}]`,
    ...options.flatMap(([key, value]) => (value === undefined ? [] : [`${key}=${String(value)}`])),
  ];
}

// `KEY="value",KEY2='say "hi"'`: Supervisor's shlex has no escapes, so the quote is chosen by the value.
function environment(
  env: Readonly<Record<string, string>>,
  render: (key: string, text: string) => string,
): string | undefined {
  const keys = Object.keys(env).sort();
  if (keys.length === 0) return undefined;
  return keys.map((key) => `${key}=${quoteEnvironmentValue(render(key, env[key] ?? ''))}`).join(',');
}
