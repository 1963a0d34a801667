// Executable inventories (Ansible's dynamic inventory): `-i` names a program that prints the inventory as INI on
// stdout. It runs once per command, with no shell, in its own directory, bounded by a timeout; what it prints is
// parsed exactly as a file's text, and its failures are bad input (exit 2) naming the program.
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.ts';
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, formatMs, parseDuration } from '../units/duration.ts';

/** How long the program may run unless `CONVOY_INVENTORY_TIMEOUT` says otherwise. */
export const defaultProgramTimeoutMs = 30_000;
const timeoutRange: DurationRange = { max: 3_600_000 };
/** Lines of the program's stderr a failure shows (the end, where the reason usually is). */
const stderrLines = 10;

/** Ansible's rule: a regular file with an execute bit whose name does not end in `.ini` is run, not read. */
export function isInventoryProgram(file: string): boolean {
  try {
    const stat = statSync(file);
    return stat.isFile() && (stat.mode & 0o111) !== 0 && !/\.ini$/i.test(file);
  } catch {
    return false;
  }
}

/** `CONVOY_INVENTORY_TIMEOUT` (a duration, e.g. `10s`, `2m`), else 30 s; anything else is bad input. */
export function programTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = env.CONVOY_INVENTORY_TIMEOUT;
  if (value === undefined || value.trim() === '') return defaultProgramTimeoutMs;
  const ms = parseDuration(value, timeoutRange);
  if (ms === undefined)
    throw new UsageError(`CONVOY_INVENTORY_TIMEOUT: expected ${expectedDuration(timeoutRange)}, got '${value}'`);
  return ms;
}

/** The program's stdout: run with argv [file], cwd its directory, no shell; a failure throws exit 2. */
export function runInventoryProgram(file: string, shown: string, timeoutMs: number): string {
  const result = spawnSync(file, [], {
    cwd: path.dirname(file),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const failure = programFailure(result, timeoutMs);
  if (failure === undefined) return result.stdout;
  const tail = lastLines(result.stderr ?? '');
  const said = `inventory program ${shown} ${failure}`;
  throw tail.length > 0 ? new ValidationError(`${said}; the end of its stderr:`, tail) : new UsageError(said);
}

/** Why the run failed (words after the program's name), or undefined when it exited 0. */
export function programFailure(
  result: Pick<SpawnSyncReturns<string>, 'error' | 'status' | 'signal'>,
  timeoutMs: number,
): string | undefined {
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return `did not finish within ${formatMs(timeoutMs)} (CONVOY_INVENTORY_TIMEOUT)`;
  if (code === 'ENOBUFS') return 'printed more than 64 MB';
  if (result.error) return `could not be run: ${code ?? result.error.message}`;
  if (result.signal) return `was killed by signal ${result.signal}`;
  if (result.status !== 0) return `exited with code ${result.status}`;
  return undefined;
}

function lastLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-stderrLines);
}
