// Supervisor's XML-RPC faults as typed errors: callers branch on the fault name, never on message text.
import { ConvoyError } from '../errors.ts';

/** Fault codes of supervisor/xmlrpc.py `class Faults` (4.2.5; SIGNATURE_UNSUPPORTED is system.methodSignature's). */
export const Faults = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;
export type FaultName = keyof typeof Faults;

const namesByCode = new Map<number, FaultName>(Object.entries(Faults).map(([name, code]) => [code, name as FaultName]));

/** A `<fault>` from supervisord (or an inline fault from system.multicall); `detail` is usually the process name. */
export class SupervisorFault extends ConvoyError {
  readonly code: number;
  /** 'BAD_NAME' etc.; for a code this table lacks, the name supervisord put in front of the text, else 'UNKNOWN'. */
  readonly faultName: string;
  /** The text after "NAME: " ('web:web9' for BAD_NAME); '' when supervisord sent the bare name (UNKNOWN_METHOD). */
  readonly detail: string;
  readonly faultString: string;
  constructor(code: number, faultString: string) {
    const faultName = namesByCode.get(code) ?? /^([A-Z][A-Z_]*)(?::|$)/.exec(faultString)?.[1] ?? 'UNKNOWN';
    const detail = splitDetail(faultName, faultString);
    super(`supervisord: ${faultName}${detail === '' ? '' : `: ${detail}`}`);
    this.code = code;
    this.faultName = faultName;
    this.detail = detail;
    this.faultString = faultString;
  }
}

// supervisord builds faultString as "NAME" or "NAME: detail" (RPCError in supervisor/xmlrpc.py).
function splitDetail(faultName: string, faultString: string): string {
  if (faultString === faultName) return '';
  if (faultString.startsWith(`${faultName}: `)) return faultString.slice(faultName.length + 2);
  return faultString;
}

/** The typed error for a fault's `faultCode` and `faultString`. */
export function faultFromResponse(code: number, faultString: string): SupervisorFault {
  return new SupervisorFault(code, faultString);
}

/** True when `error` is a supervisord fault with that name, e.g. `isFault(err, 'ALREADY_STARTED')`. */
export function isFault(error: unknown, name: FaultName): error is SupervisorFault {
  return error instanceof SupervisorFault && error.code === Faults[name];
}
