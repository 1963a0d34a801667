// Actions the page asks for (start, stop, restart of one program or a group on one host): checked against what the
// host runs before anything is sent to it, then run through the same control code as `convoy start|stop|restart`.
import type { ControlAction, ProcessResult } from '../supervisor/control.ts';
import type { HostView } from './model.ts';

export interface ActionRequest {
  action: ControlAction;
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

/** The request as sent (JSON), checked: an action, a host of the target, programs that host runs. */
export function parseActionRequest(
  body: unknown,
  viewOf: (host: string) => HostView | undefined,
): { ok: true; request: ActionRequest } | { ok: false; problem: string } {
  if (typeof body !== 'object' || body === null) return { ok: false, problem: 'expected a JSON object' };
  const { action, host, programs } = body as Record<string, unknown>;
  if (typeof action !== 'string' || !(actions as readonly string[]).includes(action)) {
    return { ok: false, problem: `action: expected one of ${actions.join(', ')}, got ${JSON.stringify(action)}` };
  }
  const view = typeof host === 'string' ? viewOf(host) : undefined;
  if (typeof host !== 'string' || !view) {
    return { ok: false, problem: `host: expected a host of the target, got ${JSON.stringify(host)}` };
  }
  if (!Array.isArray(programs) || programs.length === 0 || !programs.every((p) => typeof p === 'string')) {
    return { ok: false, problem: 'programs: expected a list of group:name or group:*' };
  }
  const allowed = allowedNames(view);
  const unknown = (programs as string[]).filter((p) => !allowed.has(p));
  if (unknown.length > 0) {
    return { ok: false, problem: `programs: ${unknown.join(', ')} not on ${host} (expected group:name or group:*)` };
  }
  return { ok: true, request: { action: action as ControlAction, host, programs: programs as string[] } };
}

/** Whether every program of an action ended as asked. */
export function actionSucceeded(results: readonly ProcessResult[]): boolean {
  return results.every((r) => r.result !== 'failed' && r.result !== 'missing');
}
