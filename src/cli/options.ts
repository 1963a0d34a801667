// Flag value parsers: each rejection names the flag, the value received and what was expected.
import { InvalidArgumentError } from 'commander';
import { connectionDurationHint, parseConnectionDuration } from '../inventory/durations.ts';

export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

// `--timeout 5`, `--timeout 2.5s`: milliseconds, above 0 and at most 1h.
export function durationOption(value: string): number {
  const ms = parseConnectionDuration(value);
  if (ms === undefined)
    throw new InvalidArgumentError(
      `expected a duration above 0, at most 1h (${connectionDurationHint}), got '${value}'`,
    );
  return ms;
}
