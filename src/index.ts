// The package's public API, imported by users' task files as `import { … } from 'convoy'`. Kept light on purpose:
// every deploy loads the task files in a tsx namespace of their own, which loads this module and all it imports
// afresh; with the CLI (`run`) exported here that was the whole program a second time, ~0.4 s of every deploy.
// bin/convoy.js imports the CLI from dist/cli/main.js.
export { ConvoyError, ExitCode, UsageError } from './errors.ts';
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
