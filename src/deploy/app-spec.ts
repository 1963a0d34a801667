// An app as one host runs it (docs/tasks.md, "Templates"): the task file's app with that host's variables rendered
// into hooks, the health check and the log directory, and the gate its programs must pass after a start.
import type { HealthCheck } from '../health/kinds.ts';
import { healthCheckKinds } from '../health/kinds.ts';
import type { HostConfig } from '../inventory/types.ts';
import { shellQuote } from '../shell/quote.ts';
import type { NormalisedApp, NormalisedBatchHook, NormalisedProgram } from '../tasks/normalised.ts';
import type { Gate } from './gate.ts';
import { defaultGate } from './gate.ts';
import type { RestartWay } from '../supervisor/restart-ways.ts';
import { restartWayOf } from '../supervisor/restart-ways.ts';
import { renderTemplate, templateVars } from './templates.ts';

export interface DeployAppSpec {
  name: string;
  root: string;
  keepReleases: number;
  /** The programs' names (the `[program:x]` sections Convoy generates). */
  programs: string[];
  /** Directories the programs need before supervisord reads the conf (their log directory). */
  logDir: string;
  /** Shell lines run on this host; `beforeBatch`/`afterBatch` only when they run on the hosts (`remote`). */
  hooks: {
    afterUpload?: string | undefined;
    beforeSwitchOnce?: string | undefined;
    beforeSwitch?: string | undefined;
    afterSwitch?: string | undefined;
    beforeBatch?: string | undefined;
    afterBatch?: string | undefined;
  };
  /** RUNNING past startsecs, stable, and the health check: after every start, restart and switch. */
  gate: Gate;
  /** A signal or one process at a time instead of stopping and starting the whole group (the app's options). */
  restartWay?: RestartWay | undefined;
}

/**
 * The app as one host runs it. Hooks and a health check command are shell lines, so each value goes in as one quoted
 * word: a variable is data there, never code.
 */
export function appSpecFor(app: NormalisedApp, host: HostConfig): DeployAppSpec {
  const vars = templateVars(app, host, 'current');
  const shellLine = (text: string | undefined) =>
    text === undefined ? undefined : renderTemplate(text, vars, { literal: (t) => t, value: shellQuote });
  return {
    name: app.name,
    root: app.root,
    keepReleases: app.keepReleases,
    programs: app.programs.map((p) => p.name),
    logDir: renderTemplate(app.logDir, vars),
    hooks: {
      afterUpload: shellLine(app.hooks.afterUpload),
      beforeSwitch: shellLine(app.hooks.beforeSwitch),
      afterSwitch: shellLine(app.hooks.afterSwitch),
      beforeSwitchOnce: shellLine(app.hooks.beforeSwitchOnce?.command),
      beforeBatch: shellLine(remoteOnly(app.hooks.beforeBatch)),
      afterBatch: shellLine(remoteOnly(app.hooks.afterBatch)),
    },
    gate: gateFor(app.programs, app.healthcheck && renderHealthCheck(app.healthcheck, vars)),
    restartWay: restartWayOf(app),
  };
}

/** A batch hook's command when it runs on the hosts (a `local` one runs on this machine, see engine.ts). */
function remoteOnly(hook: NormalisedBatchHook | undefined): string | undefined {
  return hook?.where === 'remote' ? hook.command : undefined;
}

/** The health check with this host's values: a shell command gets quoted words, a URL or host:port plain text. */
function renderHealthCheck(check: HealthCheck, vars: Record<string, string>): HealthCheck {
  const shell = healthCheckKinds[check.kind].shell;
  const target = shell
    ? renderTemplate(check.target, vars, { literal: (t) => t, value: shellQuote })
    : renderTemplate(check.target, vars);
  return { ...check, target };
}

/**
 * Long enough for supervisord's own retries (startsecs each, then back-off 1 s, 2 s, 3 s, …) to end in RUNNING or
 * FATAL, for the slowest program of the app.
 */
export function gateFor(programs: readonly NormalisedProgram[], healthcheck: HealthCheck | undefined): Gate {
  if (programs.length === 0) return { ...defaultGate, ...(healthcheck ? { healthcheck } : {}) };
  const startsecs = Math.max(1, ...programs.map((p) => p.startsecs));
  const retries = Math.max(0, ...programs.map((p) => p.startretries));
  const startTimeoutMs = ((startsecs + 1) * (retries + 1) + (retries * (retries + 1)) / 2 + 5) * 1000;
  return { startTimeoutMs, settleMs: defaultGate.settleMs, ...(healthcheck ? { healthcheck } : {}) };
}
