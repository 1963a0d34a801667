// Actions the page asks for (start, stop, restart of one program or a group on one host): checked against what the
// host runs before anything is sent to it, then run through the same control code as `convoy start|stop|restart`.
import type { ControlAction, ProcessResult } from '../supervisor/control.ts';
import type { HostView } from './model.ts';

export interface ActionRequest {
  action: ControlAction;
  /** One host, or `*`: every host of the target that runs the group (a fleet-wide action, rolling). */
  host: string;
  /** `group:name` of one program, or `group:*` for a group on that host. */
  programs: string[];
}

/** One action as the page follows it (pushed to every open page as it starts and ends). */
export interface ActionProgress {
  id: number;
  action: ControlAction;
  host: string;
  programs: string[];
  state: 'running' | 'done' | 'failed';
  /** The local user it is recorded with in the hosts' deploy records. */
  user: string;
  results?: ProcessResult[] | undefined;
  /** A fleet-wide action: the batch being worked on (1-based) and how many there are. */
  batch?: { index: number; total: number } | undefined;
  /** A fleet-wide action: each host as it ends (`ok`, `failed`, `unreachable`, `skipped`), with why. */
  hosts?: { host: string; status: string; error?: string | undefined }[] | undefined;
  /** Why it failed as a whole (a deploy holds the app's lock, the host is unreachable). */
  error?: string | undefined;
}

const actions: readonly ControlAction[] = ['start', 'stop', 'restart'];

/** The names a host's view allows: each program's `group:name`, each group's `group:*`. */
function allowedNames(view: HostView): Set<string> {
  const names = new Set<string>();
  for (const p of view.programs) {
    names.add(`${p.group}:${p.name}`);
    names.add(`${p.group}:*`);
  }
  return names;
}

/** Every host is `*`; a fleet-wide action names one group (`group:*`) that some host runs. */
export const everyHost = '*';

type Parsed = { ok: true; request: ActionRequest } | { ok: false; problem: string };

/** The programs of a request, checked against the names the hosts it touches allow. */
function checkPrograms(host: string, programs: unknown, views: readonly HostView[]): string | undefined {
  const expected = host === everyHost ? 'one group:*' : 'a list of group:name or group:*';
  if (!Array.isArray(programs) || programs.length === 0 || !programs.every((p) => typeof p === 'string')) {
    return `programs: expected ${expected}`;
  }
  if (host === everyHost && (programs.length !== 1 || !String(programs[0]).endsWith(':*'))) {
    return `programs: expected ${expected} for every host, got ${programs.join(', ')}`;
  }
  const allowed = new Set(views.flatMap((v) => [...allowedNames(v)]));
  const unknown = (programs as string[]).filter((p) => !allowed.has(p));
  const where = host === everyHost ? 'any host' : host;
  return unknown.length > 0
    ? `programs: ${unknown.join(', ')} not on ${where} (expected group:name or group:*)`
    : undefined;
}

/** The request as sent (JSON), checked: an action, a host of the target (or `*`), programs that host runs. */
export function parseActionRequest(
  body: unknown,
  viewOf: (host: string) => HostView | undefined,
  allViews: () => readonly HostView[] = () => [],
): Parsed {
  if (typeof body !== 'object' || body === null) return { ok: false, problem: 'expected a JSON object' };
  const { action, host, programs } = body as Record<string, unknown>;
  if (typeof action !== 'string' || !(actions as readonly string[]).includes(action)) {
    return { ok: false, problem: `action: expected one of ${actions.join(', ')}, got ${JSON.stringify(action)}` };
  }
  const view = typeof host === 'string' ? viewOf(host) : undefined;
  if (typeof host !== 'string' || (!view && host !== everyHost)) {
    return { ok: false, problem: `host: expected a host of the target or *, got ${JSON.stringify(host)}` };
  }
  const problem = checkPrograms(host, programs, view ? [view] : allViews());
  if (problem) return { ok: false, problem };
  return { ok: true, request: { action: action as ControlAction, host, programs: programs as string[] } };
}
