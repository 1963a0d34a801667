// The package's public API, imported by users' task files as `import { … } from 'convoy'`.
export { ConvoyError, ExitCode, UsageError } from './errors.ts';
export { run } from './cli/main.ts';
export { defineApp, defineTask } from './tasks/define.ts';
export type {
  AppDefinition,
  AppSpec,
  BatchHookSpec,
  Duration,
  HealthCheckSpec,
  HooksSpec,
  ProgramSpec,
  RollingSpec,
  RunOnceSpec,
  StopSignal,
  TaskCommandResult,
  TaskContext,
  TaskDefinition,
  TaskFunction,
  TaskHost,
  TaskProcessInfo,
  TaskSupervisor,
} from './tasks/define.ts';
