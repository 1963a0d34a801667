// Run-time type checks for app specs (they may come from plain JavaScript), each failure a located problem.
import { didYouMean } from '../inventory/suggest.ts';

// Where in the spec (`programs.web.numprocs`; '' for the app itself) and what is wrong.
export interface SpecProblem {
  path: string;
  message: string;
}

// A string of the spec that reaches a host: `template` = rendered with `{{…}}` per host, `conf` = written into the
// .conf (where supervisord expands `%(…)s`). The variable and expansion checks run over these.
export interface SpecString {
  path: string;
  text: string;
  template: boolean;
  conf: boolean;
}

// Collects problems for one app; every check returns undefined when it reported one.
export class Checker {
  readonly problems: SpecProblem[] = [];

  report(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  // The object's own keys, with unknown ones reported (closest known key, else the whole list).
  object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) return this.report(path, `expected an object, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known) || ` (expected one of ${known.join(', ')})`;
      this.report(join(path, key), `unknown key${hint}`);
    }
    return value;
  }

  // A plain object whose keys are names the caller checks (programs, environment).
  record(value: unknown, path: string): Record<string, unknown> | undefined {
    return isPlainObject(value) ? value : this.report(path, `expected an object, got ${describe(value)}`);
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string') return this.report(path, `expected a string, got ${describe(value)}`);
    if (value.trim() === '') return this.report(path, 'must not be empty');
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    return typeof value === 'boolean'
      ? value
      : this.report(path, `${describe(value)} is not a boolean (expected true or false)`);
  }

  // An integer within [min, max]; `expected` is how the message names the range.
  integer(value: unknown, path: string, min: number, max: number, expected: string): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    return this.report(path, `${describe(value)} is not ${expected}`);
  }

  stringList(value: unknown, path: string): string[] | undefined {
    if (!Array.isArray(value)) return this.report(path, `expected an array of strings, got ${describe(value)}`);
    const items = value.map((item, i) => this.string(item, `${path}[${i}]`));
    return items.every((item) => item !== undefined) ? items : undefined;
  }
}

// `programs.web` from `programs` and `web`.
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// A value as a message shows it: strings quoted, numbers and booleans as they are, other kinds by name.
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return 'an object';
}
