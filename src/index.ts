// The package's public API, imported by users' task files as `import { … } from 'convoy'`.
export { ConvoyError, ExitCode, UsageError } from './errors.ts';
export { run } from './cli/main.ts';
