// A program's log read through supervisord as text, whatever characters it holds. supervisord decodes each window
// strictly as UTF-8 (supervisor/options.py readFile, tailFile): a window that starts or ends inside a character
// fails. Reads go through system.multicall, where that failure is a FAILED fault instead of an HTTP 500 with a
// traceback in supervisord's own log; on FAILED, small probe reads find the character boundaries next to the ends
// (log-window.ts) and the window between them is read.
import { ConvoyError } from '../errors.ts';
import type { SupervisorClient } from './client.ts';
import type { SupervisorFault } from './faults.ts';
import { isFault } from './faults.ts';
import type { ByteRange } from './log-window.ts';
import { boundaryProbes, lastBoundary } from './log-window.ts';
import { XmlRpcProtocolError } from './xmlrpc-values.ts';
import type { MulticallResult, XmlRpcValue } from './xmlrpc-values.ts';

export type LogStream = 'stdout' | 'stderr';

/** Which log: the process (`group:name`) and the stream, on one host's supervisord. */
export interface LogRef {
  client: SupervisorClient;
  name: string;
  stream: LogStream;
}

/** The text of the log's bytes [start, end), both character boundaries. */
export interface LogText extends ByteRange {
  text: string;
}

/** supervisord could not send a window of the log although both its ends are between characters: not UTF-8. */
export class LogNotTextError extends ConvoyError {
  constructor(
    readonly log: Omit<LogRef, 'client'>,
    readonly range: ByteRange,
    cause: SupervisorFault,
  ) {
    const bytes = `bytes ${range.start}-${range.end} of ${log.name}'s ${log.stream} log`;
    super(`supervisord could not send ${bytes} as UTF-8 text, the only way it sends logs (${cause.message})`, {
      cause,
    });
  }
}

const methods = {
  stdout: { read: 'supervisor.readProcessStdoutLog', tail: 'supervisor.tailProcessStdoutLog' },
  stderr: { read: 'supervisor.readProcessStderrLog', tail: 'supervisor.tailProcessStderrLog' },
} as const;

/** Reads windows in one round trip; each answer is its text or the fault it raised (FAILED: not decodable). */
async function readWindows(log: LogRef, windows: readonly ByteRange[]): Promise<MulticallResult[]> {
  if (windows.length === 0) return [];
  // A length of 0 would mean "to the end of the log" to supervisord: callers never ask for an empty window.
  const method = methods[log.stream].read;
  return log.client.multicall(windows.map((w) => ({ method, params: [log.name, w.start, w.end - w.start] })));
}

/** The text of a read, or its FAILED fault (a window supervisord could not decode); other faults are thrown. */
function textOf(answer: MulticallResult | undefined): string | SupervisorFault {
  if (answer === undefined) throw new XmlRpcProtocolError('system.multicall answered fewer calls than it was given');
  if (answer.ok) return String(answer.value);
  if (isFault(answer.fault, 'FAILED')) return answer.fault;
  throw answer.fault;
}

/**
 * The window between the character boundaries nearest before `window`'s ends; its start is taken as it is when
 * `startIsBoundary`. `failure` is why `window` itself could not be read, for the error when the bytes are not UTF-8.
 */
async function readBetweenBoundaries(
  log: LogRef,
  window: ByteRange,
  startIsBoundary: boolean,
  failure: SupervisorFault,
): Promise<LogText> {
  const startProbes = startIsBoundary ? [] : boundaryProbes(window.start, 0);
  const endFloor = startIsBoundary ? window.start : 0;
  const endProbes = boundaryProbes(window.end, endFloor);
  const answers = await readWindows(log, [...startProbes, ...endProbes]);
  const decoded = answers.map((answer) => typeof textOf(answer) === 'string');
  const start = startIsBoundary
    ? window.start
    : lastBoundary(window.start, 0, startProbes, decoded.slice(0, startProbes.length));
  const end = lastBoundary(window.end, endFloor, endProbes, decoded.slice(startProbes.length));
  if (start === undefined || end === undefined) throw new LogNotTextError(log, window, failure);
  // Only part of a character since `start` (still being written): nothing to show yet.
  if (end <= start) return { text: '', start: end, end };
  const text = textOf((await readWindows(log, [{ start, end }]))[0]);
  // Both ends are between characters, so the bytes between are not UTF-8.
  if (typeof text !== 'string') throw new LogNotTextError(log, { start, end }, text);
  return { text, start, end };
}

/**
 * The last `length` bytes of the log as text (a few bytes more or less, to whole characters) and where they end,
 * which is where a follower reads on from.
 */
export async function readLogEnd(log: LogRef, length: number): Promise<LogText> {
  const method = methods[log.stream].tail;
  // Both in one multicall, so the same size: supervisord writes no log while it answers.
  const [size, tail] = await log.client.multicall([
    { method, params: [log.name, 0, 0] },
    { method, params: [log.name, 0, length] },
  ]);
  if (size === undefined || tail === undefined) {
    throw new XmlRpcProtocolError('system.multicall answered fewer calls than it was given');
  }
  if (!size.ok) throw size.fault;
  // tailProcess*Log answers [text, size, overflow].
  const end = Number((size.value as XmlRpcValue[])[1]);
  const window = { start: Math.max(0, end - length), end };
  if (tail.ok) return { text: String((tail.value as XmlRpcValue[])[0]), ...window };
  if (!isFault(tail.fault, 'FAILED')) throw tail.fault;
  return readBetweenBoundaries(log, window, window.start === 0, tail.fault);
}

/**
 * The log's bytes from `start`, a character boundary (where the previous read ended), to `end` as text; it ends a
 * little earlier when `end` falls inside a character (being written, or cut by the caller's chunk size).
 */
export async function readLogRange(log: LogRef, start: number, end: number): Promise<LogText> {
  if (end <= start) return { text: '', start, end: start };
  const text = textOf((await readWindows(log, [{ start, end }]))[0]);
  if (typeof text === 'string') return { text, start, end };
  return readBetweenBoundaries(log, { start, end }, true, text);
}
