// Typed calls to one host's supervisord over XML-RPC; faults arrive as SupervisorFault errors.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConvoyError } from '../errors.ts';
import { formatMs } from '../units/duration.ts';
import type { RpcTransport, TransportKind } from './transport.ts';
import type { XmlRpcValue } from './xmlrpc-values.ts';
import { decodeMulticall, decodeResponse, encodeCall } from './xmlrpc.ts';
import type { ProcessInfo } from './process-info.ts';
import { toProcessInfo } from './process-info.ts';
import type { SupervisorLayout } from './layout.ts';

export interface ReloadResult {
  added: string[];
  changed: string[];
  removed: string[];
}

export interface GroupActionResult {
  name: string;
  group: string;
  status: number;
  description: string;
}

export interface LogTail {
  bytes: string;
  offset: number;
  overflow: boolean;
}

/** supervisord did not answer a call in time (a wedged supervisord must not hold a deploy's lock forever). */
export class SupervisorTimeoutError extends ConvoyError {}

/** supervisord's STOPPED_STATES: a process in one of them is no longer stopping. */
const stoppedStates = new Set(['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN']);

export interface ClientOptions {
  /** How long one call may take (0 or absent: no limit); the host's step timeout. */
  callTimeoutMs?: number | undefined;
  /** What sets that limit, as the timeout error says it (default: the step timeout). */
  timeoutSource?: string | undefined;
}

export class SupervisorClient {
  /** `layout` is known when the host's conf was read (deploy and setup need it; status and control need only the socket). */
  constructor(
    readonly host: string,
    private readonly transport: RpcTransport,
    readonly layout?: SupervisorLayout,
    private readonly options: ClientOptions = {},
  ) {}

  get transportKind(): TransportKind {
    return this.transport.kind;
  }

  async call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const body = encodeCall(method, params);
    return decodeResponse(await this.within(method, (signal) => this.post(body, signal)));
  }

  /**
   * The call's answer, or a SupervisorTimeoutError once the call timeout has passed; the transport is told to abandon
   * the call then (its channel closed), so that a supervisord that never answers holds nothing open.
   */
  private within<T>(method: string, call: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.options.callTimeoutMs;
    if (!ms) return call();
    const limit = new AbortController();
    const said = `${this.host}: supervisord did not answer ${method} within ${formatMs(ms)} (${this.timeoutSource})`;
    const timer = setTimeout(() => limit.abort(new SupervisorTimeoutError(said)), ms);
    const late = new Promise<never>((_resolve, reject) =>
      limit.signal.addEventListener('abort', () => reject(limit.signal.reason)),
    );
    late.catch(() => undefined);
    return Promise.race([call(limit.signal), late]).finally(() => clearTimeout(timer));
  }

  /** What sets the call timeout, as a timeout error names it. */
  private get timeoutSource(): string {
    return this.options.timeoutSource ?? 'step_timeout, --step-timeout';
  }

  /** The same supervisord, each call bounded by `callTimeoutMs` (`why`: where that limit comes from, for the error). */
  bounded(callTimeoutMs: number, why: string): SupervisorClient {
    return new SupervisorClient(this.host, this.transport, this.layout, { callTimeoutMs, timeoutSource: why });
  }

  /** One raw XML-RPC request body to supervisord, and its response body. */
  post(body: string, signal?: AbortSignal): Promise<string> {
    return this.transport.post(body, signal);
  }

  /** Several calls in one round trip; each result is a value or the fault it raised. */
  async multicall(calls: readonly { method: string; params: readonly XmlRpcValue[] }[]) {
    const value = await this.call(
      'system.multicall',
      calls.map((c) => ({ methodName: c.method, params: [...c.params] })),
    );
    return decodeMulticall(value);
  }

  async getState(): Promise<{ statecode: number; statename: string }> {
    const v = (await this.call('supervisor.getState')) as { statecode: number; statename: string };
    return { statecode: Number(v.statecode), statename: String(v.statename) };
  }

  async getAllProcessInfo(): Promise<ProcessInfo[]> {
    const list = (await this.call('supervisor.getAllProcessInfo')) as XmlRpcValue[];
    return list.map(toProcessInfo);
  }

  async getProcessInfo(name: string): Promise<ProcessInfo> {
    return toProcessInfo(await this.call('supervisor.getProcessInfo', name));
  }

  /** Resolves once RUNNING (past startsecs) when `wait`; faults: BAD_NAME, SPAWN_ERROR, ALREADY_STARTED, … */
  async startProcess(name: string, wait = true): Promise<boolean> {
    return (await this.call('supervisor.startProcess', name, wait)) === true;
  }

  /** supervisord sends stopsignal, then SIGKILL after stopwaitsecs. */
  async stopProcess(name: string, wait = true): Promise<boolean> {
    return (await this.call('supervisor.stopProcess', name, wait)) === true;
  }

  async startProcessGroup(group: string, wait = true): Promise<GroupActionResult[]> {
    return (await this.call('supervisor.startProcessGroup', group, wait)) as unknown as GroupActionResult[];
  }

  /**
   * Stops the group's processes; with `wait`, resolves once none of them is still stopping. Not supervisord's own
   * wait: its group calls answer a deferred result only on its main loop's tick (a deferred with a 50 ms delay is not
   * looked at again until the loop's 1 s poll ends), so a group whose processes die at once was answered ~1 s late,
   * a second per batch of a rolling restart. Asked without waiting (the signals are sent before it answers, in
   * supervisord's order) and then polled here (getAllProcessInfo answers at once), it takes milliseconds.
   */
  async stopProcessGroup(group: string, wait = true): Promise<GroupActionResult[]> {
    const results = (await this.call('supervisor.stopProcessGroup', group, false)) as unknown as GroupActionResult[];
    if (wait) await this.untilStopped(group, results);
    return results;
  }

  /** Polls (10 ms, doubling to 200 ms) until the signalled processes are stopped, within the call timeout. */
  private async untilStopped(group: string, signalled: readonly GroupActionResult[]): Promise<void> {
    const names = new Set(signalled.filter((r) => r.status === 80).map((r) => r.name));
    const deadline = Date.now() + (this.options.callTimeoutMs || Infinity);
    for (let pause = 10; names.size > 0; pause = Math.min(pause * 2, 200)) {
      const all = await this.getAllProcessInfo();
      const stopping = all.filter((p) => p.group === group && names.has(p.name) && !stoppedStates.has(p.statename));
      if (stopping.length === 0) return;
      if (Date.now() > deadline) {
        const said = `${this.host}: ${stopping.map((p) => `${group}:${p.name}`).join(', ')} did not stop within ${formatMs(this.options.callTimeoutMs!)} (${this.timeoutSource})`;
        throw new SupervisorTimeoutError(said);
      }
      await sleep(pause);
    }
  }

  /** Sends `signal` (a name without SIG: HUP, USR1, …) to a running process; NOT_RUNNING when it is not (Supervisor ≥ 3.2). */
  async signalProcess(name: string, signal: string): Promise<boolean> {
    return (await this.call('supervisor.signalProcess', name, signal)) === true;
  }

  /** Rereads the config files; applies nothing. */
  async reloadConfig(): Promise<ReloadResult> {
    const value = (await this.call('supervisor.reloadConfig')) as XmlRpcValue[][][];
    const [added = [], changed = [], removed = []] = value[0] ?? [];
    return { added: added.map(String), changed: changed.map(String), removed: removed.map(String) };
  }

  async addProcessGroup(group: string): Promise<boolean> {
    return (await this.call('supervisor.addProcessGroup', group)) === true;
  }

  async removeProcessGroup(group: string): Promise<boolean> {
    return (await this.call('supervisor.removeProcessGroup', group)) === true;
  }

  /**
   * The last `length` bytes of the log and its size (as `offset`). supervisord always answers with the bytes that end
   * at the current size, whatever offset is asked. Ask it for the size only (length 0): a window that cuts a
   * character is an HTTP 500, so log text is read with log-read.ts.
   */
  async tailLog(name: string, stream: 'stdout' | 'stderr', offset: number, length: number): Promise<LogTail> {
    const method = stream === 'stdout' ? 'supervisor.tailProcessStdoutLog' : 'supervisor.tailProcessStderrLog';
    const [bytes, next, overflow] = (await this.call(method, name, offset, length)) as [string, number, boolean];
    return { bytes: String(bytes), offset: Number(next), overflow: Boolean(overflow) };
  }
}
