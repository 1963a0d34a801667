// supervisord's per-process struct, checked once where it enters Convoy, plus the names and uptime supervisorctl prints.
import { XmlRpcProtocolError, isStruct } from './xmlrpc-values.ts';
import type { XmlRpcValue } from './xmlrpc-values.ts';

/** Process state codes (supervisor/states.py). */
export const ProcessStates = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
  UNKNOWN: 1000,
} as const;
export type ProcessStateName = keyof typeof ProcessStates;
export type ProcessStateCode = (typeof ProcessStates)[ProcessStateName];

/** One entry of getAllProcessInfo / the result of getProcessInfo; times are epoch seconds, 0 = never. */
export interface ProcessInfo {
  name: string;
  group: string;
  start: number;
  stop: number;
  now: number;
  state: ProcessStateCode;
  statename: ProcessStateName;
  /** Why the last spawn failed ('Exited too quickly (process log may have details)'); '' otherwise. */
  spawnerr: string;
  /** Exit status of the last exit; -1 when it was killed by a signal. */
  exitstatus: number;
  /** 0 when not running. */
  pid: number;
  /** supervisorctl's status text: 'pid 21023, uptime 0:00:06', 'Not started', a stop time or spawnerr. */
  description: string;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
}

/** True for the eight state names supervisord uses. */
export function isProcessStateName(name: string): name is ProcessStateName {
  return Object.hasOwn(ProcessStates, name);
}

/** Checks a decoded process-info struct and types it; one error lists every missing or mistyped field. */
export function toProcessInfo(value: XmlRpcValue): ProcessInfo {
  if (!isStruct(value)) {
    throw new XmlRpcProtocolError(`process info is not a struct: ${JSON.stringify(value).slice(0, 200)}`);
  }
  const problems: string[] = [];
  const wrong = (key: string, expected: string): void => {
    const v = value[key];
    problems.push(v === undefined ? `no '${key}'` : `'${key}' is ${JSON.stringify(v)}, not ${expected}`);
  };
  const int = (key: string): number => {
    const v = value[key];
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    wrong(key, 'an int');
    return 0;
  };
  const str = (key: string): string => {
    const v = value[key];
    if (typeof v === 'string') return v;
    wrong(key, 'a string');
    return '';
  };
  const info = {
    name: str('name'),
    group: str('group'),
    start: int('start'),
    stop: int('stop'),
    now: int('now'),
    spawnerr: str('spawnerr'),
    exitstatus: int('exitstatus'),
    pid: int('pid'),
    description: str('description'),
    logfile: str('logfile'),
    stdout_logfile: str('stdout_logfile'),
    stderr_logfile: str('stderr_logfile'),
  };
  const state = int('state');
  const statename = str('statename');
  if (typeof value.statename === 'string' && !isProcessStateName(statename)) {
    problems.push(`'statename' ${JSON.stringify(statename)} is not a supervisor process state`);
  } else if (isProcessStateName(statename) && typeof value.state === 'number' && ProcessStates[statename] !== state) {
    problems.push(`'state' ${state} does not match 'statename' ${statename} (${ProcessStates[statename]})`);
  }
  if (problems.length > 0 || !isProcessStateName(statename)) {
    const who = info.name === '' ? '' : ` of ${qualifiedName({ name: info.name, group: info.group || info.name })}`;
    throw new XmlRpcProtocolError(`process info${who}: ${problems.join('; ')}`);
  }
  return { ...info, state: ProcessStates[statename], statename };
}

/** `group:name`, or `name` alone for a program that is its own group: the name supervisorctl status prints. */
export function qualifiedName(info: Pick<ProcessInfo, 'name' | 'group'>): string {
  return info.group === info.name ? info.name : `${info.group}:${info.name}`;
}

/** supervisorctl's uptime for a RUNNING process (`0:00:06`, `1 day, 2:03:04`, `3 days, …`); '' in any other state. */
export function uptimeText(info: Pick<ProcessInfo, 'state' | 'start' | 'now'>): string {
  if (info.state !== ProcessStates.RUNNING) return '';
  // Python's str(timedelta) of now - start, clamped at 0 when the clock went back (rpcinterface._interpretProcessInfo).
  const total = Math.max(0, Math.floor(info.now) - Math.floor(info.start));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const clock = `${hours}:${twoDigits(Math.floor((total % 3600) / 60))}:${twoDigits(total % 60)}`;
  return days === 0 ? clock : `${days} ${days === 1 ? 'day' : 'days'}, ${clock}`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}
