// The task-file authoring API (`import { defineApp, defineTask } from 'convoy'`): types, and functions that only brand.
import type { HealthCheckKind } from '../health/kinds.ts';
import type { Duration } from '../units/duration.ts';
import { appBrand, taskBrand } from './brand.ts';

export type { Duration };

export type StopSignal = 'TERM' | 'HUP' | 'INT' | 'QUIT' | 'KILL' | 'USR1' | 'USR2';

// One `[program:x]` section; keys are Supervisor's own option names so its documentation applies as is.
export interface ProgramSpec {
  /** Templated with `{{…}}`; `%(process_num)02d` and Supervisor's other expansions are kept, any other `%` is literal. */
  command: string;
  numprocs?: number;
  process_name?: string;
  /** Templated; default `<root>/current`. */
  directory?: string;
  user?: string;
  /** Values are templated. */
  environment?: Record<string, string | number>;
  autostart?: boolean;
  autorestart?: boolean | 'unexpected';
  startsecs?: number;
  startretries?: number;
  stopsignal?: StopSignal;
  stopwaitsecs?: number;
  stopasgroup?: boolean;
  killasgroup?: boolean;
  priority?: number;
  exitcodes?: number[];
  redirect_stderr?: boolean;
  /** Templated; default `<logDir>/<program>.out.log`. */
  stdout_logfile?: string;
  /** Templated; default `<logDir>/<program>.err.log`. */
  stderr_logfile?: string;
  /** Octal, e.g. `'022'`. */
  umask?: string;
}

// Exactly one kind (`http: 'http://…'`, `tcp: 'host:port'` or `command: '…'`), templated; see docs/tasks.md.
export type HealthCheckSpec = { [K in HealthCheckKind]?: string } & {
  timeout?: Duration;
  interval?: Duration;
  retries?: number;
};

// Amounts are a number of hosts (`2`, `'2'`) or a share of the target (`'25%'`).
export interface RollingSpec {
  batch?: number | string;
  canary?: number;
  pause?: Duration;
  maxFail?: number | string;
}

// Shell commands run on each host in the release directory; templated. `beforeSwitchOnce` runs on one host of the
// deploy only; `beforeBatch`/`afterBatch` run around each batch, on this machine or on the batch's hosts.
export interface HooksSpec {
  afterUpload?: string;
  /** Once per deploy, on one host, after staging everywhere and before any host switches (migrations). */
  beforeSwitchOnce?: string | RunOnceSpec;
  beforeSwitch?: string;
  afterSwitch?: string;
  /** Before a batch switches (drain it from a load balancer). */
  beforeBatch?: BatchHookSpec;
  /** After a batch passed its gate (put it back). */
  afterBatch?: BatchHookSpec;
}

// A run-once hook with the host it runs on: a host name, or a group (its first host in the deploy).
export interface RunOnceSpec {
  command: string;
  host?: string;
}

// Where a batch hook runs: once on this machine (`sh -c`, the batch in CONVOY_BATCH_* variables; not templated), or
// on each host of the batch (templated, like the other hooks).
export type BatchHookSpec = { local: string } | { remote: string };

// Where a secret's value comes from on the deploying machine, read once per run (docs/tasks.md, "secrets"): an
// environment variable, a file (relative to the project), or a command's output (`pass show db`, `op read …`).
export type SecretSourceSpec = { env: string } | { file: string } | { command: string };

// A webhook called on the app's deploys and rollbacks (docs/deploy.md, "Notifications"): an http(s) URL, or a secret
// source giving one (a hook's URL often holds its token).
export type WebhookSpec = string | SecretSourceSpec;

/** Signals an app may reload on (docs/tasks.md, "reload"): the ones servers read as "re-read your config". */
export const reloadSignals = ['HUP', 'USR1', 'USR2', 'QUIT', 'WINCH'] as const;
export type ReloadSignal = (typeof reloadSignals)[number];
// Paths inside a release (relative, no `..`) that live once under `<root>/shared/` and are linked into every release
// before it goes live (Capistrano's linked_dirs / linked_files); see docs/tasks.md, "shared".
export interface SharedSpec {
  /** Created under `<root>/shared/` when missing; whatever the artifact has at that path is replaced by the link. */
  dirs?: string[];
  /** Must exist under `<root>/shared/` (put there by you): a missing one fails staging, naming it. */
  files?: string[];
}

export interface AppSpec {
  /** Supervisor group name and the release root's name. */
  name: string;
  /** Default target. */
  hosts?: string;
  /** Absolute: holds releases/<id>/, current -> releases/<id>, shared/. */
  root: string;
  artifact?: string;
  keepReleases?: number;
  /** Fan-out uploads (docs/deploy.md, "Fan-out"): this machine sends to this many hosts, each passes it on to as many. */
  fanout?: number;
  /** Absolute; default `<root>/shared/log`. */
  logDir?: string;
  programs?: Record<string, ProgramSpec>;
  confFiles?: string[];
  healthcheck?: HealthCheckSpec;
  rolling?: RollingSpec;
  hooks?: HooksSpec;
  /**
   * A graceful reload: a new release (with the conf unchanged) and `convoy restart` send this signal to the running
   * processes through supervisord instead of stopping and starting them; the gate still judges them.
   */
  reload?: ReloadSignal;
  /** `one-at-a-time`: a restart stops and starts each process of the group in turn (numprocs); default `together`. */
  processRestart?: 'together' | 'one-at-a-time';
  /** Values for every program's environment that never land in a world-readable place, nor in any output. */
  secrets?: Record<string, SecretSourceSpec>;
  /** Kept across releases under `<root>/shared/`, linked into each release. */
  shared?: SharedSpec;
  /** `{ '<path in the release>': '<template on this machine>' }`: rendered per host (`{{var}}`, `{{secret.NAME}}`). */
  templates?: Record<string, string>;
  /** Webhooks told when a deploy or rollback of the app starts, succeeds or fails, besides the inventory's. */
  notify?: WebhookSpec | WebhookSpec[];
}

// The host a task runs on, as the inventory resolved it.
export interface TaskHost {
  name: string;
  address: string;
  user: string;
  vars: Readonly<Record<string, string>>;
}

// A finished remote command: failure is judged by `code`, never by stderr.
export interface TaskCommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

// One entry of supervisord's getAllProcessInfo.
export interface TaskProcessInfo {
  name: string;
  group: string;
  state: number;
  statename: string;
  pid: number;
  description: string;
}

// The host's supervisord over XML-RPC; names are `group:program`.
export interface TaskSupervisor {
  call(method: string, ...params: unknown[]): Promise<unknown>;
  getAllProcessInfo(): Promise<TaskProcessInfo[]>;
  startProcess(name: string, wait?: boolean): Promise<boolean>;
  stopProcess(name: string, wait?: boolean): Promise<boolean>;
}

// How `run` and `sudo` treat a non-zero exit: a failure of the task (default), or, with `warn`, a result to look at
// (Fabric's `warn=True`).
export interface TaskRunOptions {
  warn?: boolean;
}

// What a task's function receives, once per host; the runner fills it.
export interface TaskContext {
  host: TaskHost;
  /** Runs a command line on the host; a non-zero exit throws (with the host's stderr) unless `{ warn: true }`. */
  run(command: string, options?: TaskRunOptions): Promise<TaskCommandResult>;
  /** `run` as root through `sudo -n`. */
  sudo(command: string, options?: TaskRunOptions): Promise<TaskCommandResult>;
  put(local: string, remote: string): Promise<void>;
  get(remote: string, local: string): Promise<void>;
  supervisor: TaskSupervisor;
  log(message: string): void;
}

export type TaskFunction = (ctx: TaskContext) => Promise<void> | void;

export type AppDefinition = AppSpec & { readonly [appBrand]: true };

// Where a task runs when `convoy run` is given no target.
export interface TaskOptions {
  /** A target, as the command line writes it (`web`, `db,&prod`). */
  hosts?: string;
}

export interface TaskDefinition {
  readonly name: string;
  readonly hosts?: string | undefined;
  readonly run: TaskFunction;
  readonly [taskBrand]: true;
}

// Only brands a copy: checking happens when Convoy loads the file, so that every problem is reported at once.
export function defineApp(spec: AppSpec): AppDefinition {
  return Object.defineProperty({ ...spec }, appBrand, { value: true, enumerable: false }) as AppDefinition;
}

// Only brands: the name, options and function are checked when Convoy loads the file.
export function defineTask(name: string, run: TaskFunction): TaskDefinition;
export function defineTask(name: string, options: TaskOptions, run: TaskFunction): TaskDefinition;
export function defineTask(name: string, second: TaskFunction | TaskOptions, third?: TaskFunction): TaskDefinition {
  // Two arguments: the second is the function (whatever it is: the loader says when it is not one).
  const [options, run] = third === undefined ? [{}, second] : [second as TaskOptions, third];
  return Object.freeze({ name, ...options, run: run as TaskFunction, [taskBrand]: true as const });
}
