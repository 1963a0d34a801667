// Stage 1 and 2 for how a deploy proceeds: healthcheck, rolling and hooks.
import type { Amount } from '../units/amount.ts';
import { amountHint, parseAmount } from '../units/amount.ts';
import type { DurationRange } from '../units/duration.ts';
import { expectedDuration, parseDuration } from '../units/duration.ts';
import type { HealthCheckSpec, HooksSpec, RollingSpec } from './define.ts';
import type { HealthCheck } from '../health/kinds.ts';
import { healthCheckKinds, healthCheckKindNames } from '../health/kinds.ts';
import type { NormalisedBatchHook, NormalisedHooks, NormalisedRolling } from './normalised.ts';
import type { Checker, SpecString } from './shape.ts';
import { describe, join } from './shape.ts';
import { placeholderPattern, templateNames } from './template-syntax.ts';

const healthKeys: readonly (keyof HealthCheckSpec)[] = [...healthCheckKindNames, 'timeout', 'interval', 'retries'];
const rollingKeySet: Record<keyof RollingSpec, true> = { batch: true, canary: true, pause: true, maxFail: true };
const hookKeySet: Record<keyof HooksSpec, true> = {
  afterUpload: true,
  beforeSwitchOnce: true,
  beforeSwitch: true,
  afterSwitch: true,
  beforeBatch: true,
  afterBatch: true,
};
/** The hooks that are one shell line run on each host. */
const perHostHooks = ['afterUpload', 'beforeSwitch', 'afterSwitch'] as const;

// Health check timeout and interval, rolling pause: any duration, 0 included (the range task files always had).
const anyDuration: DurationRange = { allowZero: true };

// A duration in ms, or undefined (reported) when it is not one in `range`.
export function duration(c: Checker, value: unknown, path: string, range: DurationRange): number | undefined {
  const ms = parseDuration(value, range);
  return ms ?? c.report(path, `${describe(value)} is not valid (expected ${expectedDuration(range)})`);
}

// Placeholders stand for any value when checking the syntax: `http://{{address}}:{{port}}/` must pass.
function withSampleValues(text: string): string {
  return text.replace(placeholderPattern, '1');
}

export function validateHealthCheck(c: Checker, value: unknown, strings: SpecString[]): HealthCheck | undefined {
  const path = 'healthcheck';
  const before = c.problems.length;
  const spec = c.object(value, path, healthKeys);
  if (!spec) return undefined;
  const given = healthCheckKindNames.filter((k) => spec[k] !== undefined);
  if (given.length !== 1) {
    const found = given.length === 0 ? 'none' : `both ${given.join(' and ')}`;
    c.report(path, `expected exactly one of ${kindList()}, got ${found}`);
  }
  const kind = given[0];
  const target = kind === undefined ? undefined : c.string(spec[kind], join(path, kind));
  if (kind !== undefined && target !== undefined) {
    strings.push({ path: join(path, kind), text: target, template: true, conf: false });
    const problem = healthCheckKinds[kind].problem(withSampleValues(target));
    if (problem !== undefined) c.report(join(path, kind), `'${target}' ${problem}`);
  }
  const timeoutMs = spec.timeout === undefined ? 30_000 : duration(c, spec.timeout, join(path, 'timeout'), anyDuration);
  const intervalMs =
    spec.interval === undefined ? 1_000 : duration(c, spec.interval, join(path, 'interval'), anyDuration);
  const retries =
    spec.retries === undefined
      ? undefined
      : c.integer(spec.retries, join(path, 'retries'), 1, 1000, 'an integer from 1 to 1000');
  if (
    c.problems.length > before ||
    kind === undefined ||
    target === undefined ||
    timeoutMs === undefined ||
    intervalMs === undefined
  )
    return undefined;
  return { kind, target, timeoutMs, intervalMs, ...(retries !== undefined ? { retries } : {}) };
}

// "http, tcp or command", from the table of kinds.
function kindList(): string {
  const names = [...healthCheckKindNames];
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}

export function validateRolling(c: Checker, value: unknown): NormalisedRolling | undefined {
  const path = 'rolling';
  const before = c.problems.length;
  const spec = c.object(value, path, Object.keys(rollingKeySet));
  if (!spec) return undefined;
  const amount = (key: 'batch' | 'maxFail', fallback: Amount, min: number): Amount | undefined => {
    if (spec[key] === undefined) return fallback;
    const parsed = parseAmount(spec[key]);
    if (parsed && parsed.value >= min) return parsed;
    return c.report(
      join(path, key),
      `${describe(spec[key])} is not valid (expected ${amountHint}${min > 0 ? ', more than 0' : ''})`,
    );
  };
  const batch = amount('batch', { kind: 'count', value: 1 }, 1);
  const maxFail = amount('maxFail', { kind: 'count', value: 0 }, 0);
  const canary =
    spec.canary === undefined ? 0 : c.integer(spec.canary, join(path, 'canary'), 0, 1000, 'an integer from 0 to 1000');
  const pauseMs = spec.pause === undefined ? 0 : duration(c, spec.pause, join(path, 'pause'), anyDuration);
  if (c.problems.length > before || !batch || !maxFail || canary === undefined || pauseMs === undefined)
    return undefined;
  return { batch, canary, pauseMs, maxFail };
}

export function validateHooks(c: Checker, value: unknown, strings: SpecString[]): NormalisedHooks {
  const spec = c.object(value, 'hooks', Object.keys(hookKeySet));
  const hooks: NormalisedHooks = {};
  if (!spec) return hooks;
  for (const key of perHostHooks) {
    if (spec[key] === undefined) continue;
    const text = c.string(spec[key], join('hooks', key));
    if (text === undefined) continue;
    strings.push({ path: join('hooks', key), text, template: true, conf: false });
    hooks[key] = text;
  }
  const once = spec.beforeSwitchOnce === undefined ? undefined : validateRunOnce(c, spec.beforeSwitchOnce, strings);
  if (once) hooks.beforeSwitchOnce = once;
  for (const key of ['beforeBatch', 'afterBatch'] as const) {
    const hook = spec[key] === undefined ? undefined : validateBatchHook(c, spec[key], join('hooks', key), strings);
    if (hook) hooks[key] = hook;
  }
  return hooks;
}

/** `'cmd'` or `{ command: 'cmd', host?: 'db' }`: the host is a host name or a group, resolved against the deploy. */
function validateRunOnce(c: Checker, value: unknown, strings: SpecString[]): NormalisedHooks['beforeSwitchOnce'] {
  const path = 'hooks.beforeSwitchOnce';
  if (typeof value === 'string') {
    const text = c.string(value, path);
    if (text !== undefined) strings.push({ path, text, template: true, conf: false });
    return text === undefined ? undefined : { command: text };
  }
  const spec = c.object(value, path, ['command', 'host']);
  if (!spec) return undefined;
  if (spec.command === undefined) return c.report(path, "missing 'command' (required)");
  const command = c.string(spec.command, join(path, 'command'));
  const host = spec.host === undefined ? undefined : c.string(spec.host, join(path, 'host'));
  if (command === undefined || (spec.host !== undefined && host === undefined)) return undefined;
  strings.push({ path: join(path, 'command'), text: command, template: true, conf: false });
  return { command, ...(host !== undefined ? { host } : {}) };
}

/** `{ local: 'cmd' }` (this machine, not templated) or `{ remote: 'cmd' }` (each host of the batch, templated). */
function validateBatchHook(
  c: Checker,
  value: unknown,
  path: string,
  strings: SpecString[],
): NormalisedBatchHook | undefined {
  const spec = c.object(value, path, ['local', 'remote']);
  if (!spec) return undefined;
  const given = (['local', 'remote'] as const).filter((k) => spec[k] !== undefined);
  if (given.length !== 1) {
    const found = given.length === 0 ? 'none' : 'both';
    return c.report(path, `expected exactly one of local (on this machine) or remote (on each host), got ${found}`);
  }
  const where = given[0] ?? 'local';
  const command = c.string(spec[where], join(path, where));
  if (command === undefined) return undefined;
  if (where === 'remote') strings.push({ path: join(path, where), text: command, template: true, conf: false });
  else if (templateNames(command).length > 0) {
    const said =
      'is not templated (it runs once for the batch, on this machine): use $CONVOY_BATCH_HOSTS, $CONVOY_BATCH_ADDRESSES';
    return c.report(join(path, where), `{{${templateNames(command)[0]}}} ${said}`);
  }
  return { where, command };
}
