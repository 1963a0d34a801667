// Flag value parsers: each rejection names the flag, the value received and what was expected.
import { InvalidArgumentError } from 'commander';

export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got ${n}`);
    return n;
  };
}
