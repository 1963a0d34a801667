// Flag value parsers: each rejection names the flag, the value received and what was expected.
import type { SandboxFlavor, SandboxShell, SandboxSudo } from '../sandbox/plan.ts';
import { sandboxFlavors, sandboxShells, sandboxSudoModes } from '../sandbox/plan.ts';
import { InvalidArgumentError } from 'commander';
import { parseBindAddress } from '../inventory/settings.ts';
import type { Amount } from '../units/amount.ts';
import { amountHint, parseAmount } from '../units/amount.ts';
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';

export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

// `--timeout 5`, `--pause 2.5s`: milliseconds within `range`.
export function durationOption(range: DurationRange): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value, range);
    if (ms === undefined) throw new InvalidArgumentError(`expected ${expectedDuration(range)}, got '${value}'`);
    return ms;
  };
}

// `--bind-address 127.0.0.2`: as the inventory's bind_address, an IP address.
export function bindAddressOption(value: string): string {
  const parsed = parseBindAddress(value);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return parsed.value;
}

// `--rolling 2`, `--max-fail 10%`: a count of hosts or a share of the target.
export function amountOption(value: string): Amount {
  const amount = parseAmount(value);
  if (!amount) throw new InvalidArgumentError(`expected ${amountHint}, got '${value}'`);
  return amount;
}

/** A comma list of names from `known` (at least one), as `--flavor debian,pip` and `--login-shell fish,tcsh` take. */
function nameList<Name extends string>(known: readonly Name[]): (value: string) => Name[] {
  return (value) => {
    const names = value.split(',').map((n) => n.trim());
    if (names.some((n) => !(known as readonly string[]).includes(n)))
      throw new InvalidArgumentError(`'${value}' is not a list of ${known.join(', ')}`);
    return names as Name[];
  };
}

export const flavorList = nameList<SandboxFlavor>(sandboxFlavors);
export const shellList = nameList(Object.keys(sandboxShells) as SandboxShell[]);
export const sudoModeList = nameList<SandboxSudo>(sandboxSudoModes);
