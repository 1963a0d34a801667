// A SupervisorClient whose answers come from an in-memory supervisord that reads logs as 4.2.5 does
// (supervisor/options.py readFile and tailFile, then a strict UTF-8 decode): a window that does not decode is an
// HTTP 500 when called alone and a FAILED fault inside system.multicall, as on a real host.
import { SupervisorClient } from '../../../src/supervisor/client.ts';
import { Faults, SupervisorFault } from '../../../src/supervisor/faults.ts';
import { ProcessStates } from '../../../src/supervisor/process-info.ts';
import type { ProcessInfo } from '../../../src/supervisor/process-info.ts';
import { SupervisorUnavailableError } from '../../../src/supervisor/transport.ts';
import type { XmlRpcValue } from '../../../src/supervisor/xmlrpc-values.ts';

/** What Python's bytes.decode('utf-8') raises: supervisord does not catch it. */
class UnicodeDecodeError extends Error {}

const strict = new TextDecoder('utf-8', { fatal: true });

function asString(bytes: Buffer): string {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    throw new UnicodeDecodeError(`'utf-8' codec can't decode bytes ${bytes.toString('hex').slice(0, 16)}`);
  }
  // supervisord sends \r raw in the XML; an XML reader turns \r\n and \r into \n.
  return text.replace(/\r\n?/g, '\n');
}

// supervisor/options.py readFile (offset and length >= 0): length 0 reads to the end.
function readFile(log: Buffer, offset: number, length: number): Buffer {
  if (offset < 0 || length < 0) throw new SupervisorFault(Faults.BAD_ARGUMENTS, 'BAD_ARGUMENTS');
  return length === 0 ? log.subarray(offset) : log.subarray(offset, offset + length);
}

// supervisor/options.py tailFile, line for line.
function tailFile(log: Buffer, offset: number, length: number): [string, number, boolean] {
  const sz = log.length;
  let overflow = false;
  if (sz > offset + length) {
    overflow = true;
    offset = sz - 1;
  }
  if (offset + length > sz) {
    if (offset > sz - 1) length = 0;
    offset = sz - length;
  }
  if (offset < 0) offset = 0;
  if (length < 0) length = 0;
  const data = length === 0 ? Buffer.alloc(0) : log.subarray(offset, offset + length);
  return [asString(data), sz, overflow];
}

/** A process as getAllProcessInfo reports it. */
export function processInfo(name: string, group: string, statename: ProcessInfo['statename']): ProcessInfo {
  const failed = statename === 'FATAL' || statename === 'EXITED';
  const spawnerr = failed ? 'Exited too quickly (process log may have details)' : '';
  return {
    ...{ name, group, start: 100, stop: failed ? 101 : 0, now: 102, state: ProcessStates[statename], statename },
    ...{ spawnerr, exitstatus: failed ? 2 : 0, pid: statename === 'RUNNING' ? 4242 : 0, description: spawnerr },
    ...{ logfile: `/var/log/${name}.out.log`, stdout_logfile: `/var/log/${name}.out.log` },
    stderr_logfile: `/var/log/${name}.err.log`,
  };
}

export class FakeSupervisord extends SupervisorClient {
  /** Log bytes by `group:name stream` ('app:worker stderr'); a process without an entry has no log file. */
  readonly logs = new Map<string, Buffer>();
  /** Every method called, multicall members included (as `system.multicall/<method>`). */
  readonly calls: string[] = [];
  /** Plain calls that came back as HTTP 500. */
  http500 = 0;
  processes: ProcessInfo[] = [];
  /** Processes whose startProcess fails with SPAWN_ERROR (and which then are FATAL). */
  readonly spawnErrors = new Set<string>();

  constructor() {
    const transport = { kind: 'streamlocal' as const, post: () => Promise.reject(new Error('no transport here')) };
    super('h1', transport);
  }

  /** Appends to a log as supervisord does with what the program writes. */
  write(name: string, stream: 'stdout' | 'stderr', bytes: Buffer | string): void {
    const key = `${name} ${stream}`;
    this.logs.set(key, Buffer.concat([this.logs.get(key) ?? Buffer.alloc(0), Buffer.from(bytes)]));
  }

  override async call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    this.calls.push(method);
    if (method === 'system.multicall') return this.multicallOf(params[0] as { methodName: string; params: [] }[]);
    try {
      return this.answer(method, params);
    } catch (error) {
      if (!(error instanceof UnicodeDecodeError)) throw error;
      this.http500++;
      throw new SupervisorUnavailableError('h1', "h1: cannot reach supervisord's socket: HTTP 500 from supervisord");
    }
  }

  // supervisor/xmlrpc.py multicall: faults and any other exception become inline fault structs.
  private multicallOf(calls: { methodName: string; params: XmlRpcValue[] }[]): XmlRpcValue[] {
    return calls.map((c) => {
      this.calls.push(`system.multicall/${c.methodName}`);
      try {
        return this.answer(c.methodName, c.params);
      } catch (error) {
        if (error instanceof SupervisorFault) return { faultCode: error.code, faultString: error.faultString };
        const why = `FAILED: <class '${(error as Error).constructor.name}'>:${(error as Error).message}`;
        return { faultCode: Faults.FAILED, faultString: why };
      }
    });
  }

  private answer(method: string, params: XmlRpcValue[]): XmlRpcValue {
    const [name, offset, length] = params as [string, number, number];
    const log = /^supervisor\.(read|tail)Process(Stdout|Stderr)Log$/.exec(method);
    if (log)
      return this.logCall(log[1] as 'read' | 'tail', log[2] === 'Stdout' ? 'stdout' : 'stderr', name, offset, length);
    if (method === 'supervisor.getAllProcessInfo') return this.processes as unknown as XmlRpcValue[];
    if (method === 'supervisor.startProcess') return this.start(name);
    if (method === 'supervisor.startProcessGroup') return this.startGroup(name);
    throw new SupervisorFault(Faults.UNKNOWN_METHOD, 'UNKNOWN_METHOD');
  }

  private logCall(kind: 'read' | 'tail', stream: string, name: string, offset: number, length: number): XmlRpcValue {
    if (
      !this.processes.some((p) => `${p.group}:${p.name}` === name) &&
      ![...this.logs.keys()].some((k) => k.startsWith(`${name} `))
    )
      throw new SupervisorFault(Faults.BAD_NAME, `BAD_NAME: ${name}`);
    const log = this.logs.get(`${name} ${stream}`);
    if (kind === 'tail') return log ? tailFile(log, offset, length) : ['', 0, false];
    if (!log) throw new SupervisorFault(Faults.NO_FILE, `NO_FILE: /var/log/${name}.${stream}.log`);
    return asString(readFile(log, offset, length));
  }

  // supervisor/rpcinterface.py startProcessGroup: one result per process, a fault as its status.
  private startGroup(group: string): XmlRpcValue[] {
    return this.processes
      .filter((p) => p.group === group)
      .map((p) => {
        try {
          this.start(`${p.group}:${p.name}`);
          return { name: p.name, group, status: Faults.SUCCESS, description: 'OK' };
        } catch (error) {
          const fault = error as SupervisorFault;
          return { name: p.name, group, status: fault.code, description: fault.detail };
        }
      });
  }

  private start(name: string): boolean {
    const p = this.processes.find((x) => `${x.group}:${x.name}` === name);
    if (!p) throw new SupervisorFault(Faults.BAD_NAME, `BAD_NAME: ${name}`);
    if (this.spawnErrors.has(name)) {
      Object.assign(p, processInfo(p.name, p.group, 'FATAL'));
      throw new SupervisorFault(Faults.SPAWN_ERROR, `SPAWN_ERROR: ${name}`);
    }
    Object.assign(p, processInfo(p.name, p.group, 'RUNNING'));
    return true;
  }
}
