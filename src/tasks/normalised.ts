// An app after validation: defaults applied, durations in ms, programs in start order. Deploy code reads only this.
import type { HealthCheck } from '../health/kinds.ts';
import type { WebhookEntry } from '../inventory/webhooks.ts';
import type { Amount } from '../units/amount.ts';
import type { SecretSourceSpec, StopSignal } from './define.ts';

// Supervisor's own default priority, used to order programs that do not set one.
export const defaultPriority = 999;

// Every option Convoy writes to the `[program:x]` section; templates (`{{…}}`) are still unrendered.
export interface NormalisedProgram {
  name: string;
  command: string;
  numprocs: number;
  /** Given, or `%(program_name)s_%(process_num)02d` when numprocs > 1. */
  process_name?: string;
  directory: string;
  user?: string;
  /** Numbers as text, keys sorted (reordering the task file must not restart the group). */
  environment: Record<string, string>;
  autostart: boolean;
  autorestart: boolean | 'unexpected';
  startsecs: number;
  startretries: number;
  stopsignal: StopSignal;
  stopwaitsecs: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  priority?: number;
  exitcodes?: number[];
  redirect_stderr: boolean;
  stdout_logfile: string;
  /** Absent when redirect_stderr is set. */
  stderr_logfile?: string;
  umask?: string;
}

export interface NormalisedRolling {
  batch: Amount;
  /** Hosts switched alone, before the first batch. */
  canary: number;
  pauseMs: number;
  maxFail: Amount;
}

export interface NormalisedApp {
  name: string;
  hosts?: string;
  root: string;
  artifact?: string;
  keepReleases: number;
  /** `fanout` as the app sets it (a deploy's --fanout wins); absent = the inventory's. */
  fanout?: number;
  logDir: string;
  /** Sorted by priority (unset = 999), then name. */
  programs: NormalisedProgram[];
  confFiles: string[];
  healthcheck?: HealthCheck;
  rolling?: NormalisedRolling;
  hooks: NormalisedHooks;
  /** Sorted by name. */
  secrets: NormalisedSecret[];
  reload?: string;
  processRestart?: 'together' | 'one-at-a-time';
  /** Paths inside a release linked to `<root>/shared/<path>`; each list sorted. */
  shared: NormalisedShared;
  /** Files rendered per host into each release, sorted by `path`. */
  templates: NormalisedTemplate[];
  /** Webhooks of the app; absent when none. */
  notify?: WebhookEntry[];
}

export interface NormalisedShared {
  dirs: string[];
  files: string[];
}

export interface NormalisedTemplate {
  /** Where it goes, relative to the release. */
  path: string;
  /** The template on this machine, as the task file writes it (relative to the project). */
  source: string;
}

export interface NormalisedSecret {
  name: string;
  source: SecretSourceSpec;
}

// A batch hook: once on this machine for the batch (`local`), or on each of its hosts (`remote`).
export interface NormalisedBatchHook {
  where: 'local' | 'remote';
  command: string;
}

// The app's hooks; commands are still unrendered.
export interface NormalisedHooks {
  afterUpload?: string;
  /** `host`: a host name or a group of the inventory; absent = the deploy's first host that staged. */
  beforeSwitchOnce?: { command: string; host?: string };
  beforeSwitch?: string;
  afterSwitch?: string;
  beforeBatch?: NormalisedBatchHook;
  afterBatch?: NormalisedBatchHook;
}
