// Where commands write: human lines or one JSON document, with color decided once from flags and the terminal.
import type { Writable } from 'node:stream';

export interface Output {
  readonly jsonMode: boolean;
  readonly color: boolean;
  line(text: string): void;
  json(value: unknown): void;
  warn(text: string): void;
}

export interface OutputOptions {
  json: boolean;
  /** false when --no-color was given. */
  colorFlag: boolean;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable;
  env?: NodeJS.ProcessEnv;
}

/** Color only on a terminal, never with NO_COLOR (any value) or --no-color; FORCE_COLOR forces it. */
export function wantsColor(stream: { isTTY?: boolean }, colorFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!colorFlag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  return {
    jsonMode: options.json,
    color: wantsColor(stdout, options.colorFlag, options.env ?? process.env),
    line: (text) => {
      stdout.write(text + '\n');
    },
    json: (value) => {
      stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
    warn: (text) => {
      stderr.write(text + '\n');
    },
  };
}
