// XML-RPC values as Convoy sees them, and the errors of the codec (process-info.ts needs these, not the codec).
import { ConvoyError, UsageError } from '../errors.ts';
import type { SupervisorFault } from './faults.ts';

/** Every value XML-RPC carries: struct = plain object, base64 = Buffer, dateTime.iso8601 = Date (UTC, whole seconds). */
export type XmlRpcValue =
  string | number | boolean | null | Date | Buffer | XmlRpcValue[] | { [key: string]: XmlRpcValue };
export type XmlRpcStruct = { [key: string]: XmlRpcValue };

/** supervisord answered with something other than the XML-RPC we expect (bad XML, an HTML error page, a wrong shape). */
export class XmlRpcProtocolError extends ConvoyError {
  /** The first 200 characters of the response body, when the problem is in a body. */
  readonly bodyStart: string | undefined;
  constructor(problem: string, options: { body?: string; cause?: unknown } = {}) {
    const bodyStart = options.body?.slice(0, 200);
    const excerpt = bodyStart === undefined ? '' : `\nfirst 200 characters of the response:\n${bodyStart}`;
    super(`unexpected XML-RPC response from supervisord: ${problem}${excerpt}`, { cause: options.cause });
    this.bodyStart = bodyStart;
  }
}

/** A value XML-RPC cannot carry (a control character, NaN, a cycle): thrown before anything is sent. */
export class XmlRpcEncodeError extends UsageError {}

/** One entry of system.multicall's answer, in call order. */
export type MulticallResult = { ok: true; value: XmlRpcValue } | { ok: false; fault: SupervisorFault };

/** True for a decoded <struct> (not an array, Date, Buffer or scalar). */
export function isStruct(value: XmlRpcValue | undefined): value is XmlRpcStruct {
  if (typeof value !== 'object' || value === null) return false;
  return !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value);
}
