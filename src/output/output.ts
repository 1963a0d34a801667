// Where commands write (docs/output.md): human lines, or JSON lines (one object with a `type` per line), with color
// decided once from flags and the terminal.

/** What a command writes to: the process's streams, or a function in tests. */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** One JSON line: every object Convoy writes with --json says what it is. */
export type JsonRecord = { type: string } & Record<string, unknown>;

export interface Output {
  readonly jsonMode: boolean;
  readonly color: boolean;
  /** A line of text for people (commands write none in JSON mode). */
  line(text: string): void;
  /** One JSON line (--json). */
  record(value: JsonRecord): void;
  /** A line for stderr. */
  warn(text: string): void;
}

export interface OutputOptions {
  json: boolean;
  /** false when --no-color was given. */
  colorFlag: boolean;
  stdout?: TextSink;
  stderr?: TextSink;
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
    record: (value) => {
      stdout.write(JSON.stringify(value) + '\n');
    },
    warn: (text) => {
      stderr.write(text + '\n');
    },
  };
}
