// `convoy ui [target]`: a live dashboard of the target's programs in the browser (docs/ui.md), served on loopback
// until Ctrl-C; its actions run through the same control code as `convoy start|stop|restart`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { Output } from '../output/output.ts';
import type { Reporter } from '../output/events.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { Fleet } from '../host/fleet.ts';
import { newLockOwner } from '../deploy/lock.ts';
import type { ActionRequest } from '../ui/actions.ts';
import { everyHost } from '../ui/actions.ts';
import type { ActionUpdate } from '../ui/dashboard.ts';
import type { HostView } from '../ui/model.ts';
import type { ProcessResult } from '../supervisor/control.ts';
import type { Amount } from '../units/amount.ts';
import { failureBudget, planBatches, runRolling } from '../orchestration/rolling.ts';
import { onSession } from '../host/fleet.ts';
import { readAppViews } from '../ui/apps.ts';
import { Dashboard } from '../ui/dashboard.ts';
import { FleetPoller, pollTimeoutFor } from '../ui/poller.ts';
import { startUiServer } from '../ui/server.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import type { ControlRun } from './control.ts';
import { controlOnHost, knownApps } from './control.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { defaultConcurrency, openFleet, loadTarget } from './fleet-context.ts';
import { pageLogFollower } from './ui-logs.ts';

export interface UiCommandOptions extends FleetContextOptions {
  target: string;
  output: Output;
  /** `--listen`: the address to serve on (default 127.0.0.1, this machine only). */
  listen: string;
  /** `--port` (0: any free port). */
  port: number;
  /** `--interval`, in ms: how often each host is asked for its programs. */
  intervalMs: number;
  /** `--open`: start the browser on the URL. */
  open: boolean;
  interruption: Interruption;
}

/** The page's actions do not draw progress in the terminal: the page shows it. */
const quietReporter: Reporter = { begin: () => undefined, event: () => undefined, end: async () => undefined };

/** A restart across the fleet of a group no task file describes (no `rolling` of its own): one host at a time. */
const oneHost: Amount = { kind: 'count', value: 1 };

/**
 * A fleet-wide action of the page: the group on every host that runs it, through the rolling engine with the app's
 * batches, pause and failure budget (a restart; start and stop go to every host at once), as `convoy <action>
 * <hosts> group:* --rolling …` would.
 */
async function fleetAction(context: ActionContext, request: ActionRequest, progress: (u: ActionUpdate) => void) {
  const group = request.programs[0]?.split(':')[0] ?? '';
  const targets = context.hosts.filter((h) => context.viewOf(h.name)?.programs.some((p) => p.group === group));
  const rolling = request.action === 'restart' ? context.run.apps.get(group)?.rolling : undefined;
  const batches =
    request.action !== 'restart' ? [targets] : planBatches(targets, rolling?.batch ?? oneHost, rolling?.canary ?? 0);
  const hosts: NonNullable<ActionUpdate['hosts']> = [];
  const run = { ...context.run, options: request, owner: ownerOf(context, request) };
  const { summary } = await runRolling(
    batches,
    {
      pauseMs: rolling?.pauseMs ?? 0,
      maxFail: failureBudget(rolling?.maxFail, targets.length),
      concurrency: defaultConcurrency,
      onBatch: (index) => progress({ batch: { index: index + 1, total: batches.length }, hosts: [...hosts] }),
      onOutcome: (o) => {
        hosts.push({ host: o.host, status: o.status, error: o.error?.message ?? failuresOf(o.value) });
        progress({ hosts: [...hosts] });
      },
    },
    onSession(context.fleet, (session, host) => controlOnHost(run, session, host)),
  );
  return { value: [], ok: summary.failed + summary.unreachable + summary.skipped === 0 };
}

/** The failed programs of one host's results, as one line. */
function failuresOf(value: unknown): string | undefined {
  const failed = ((value ?? []) as ProcessResult[]).filter((r) => r.error).map((r) => `${r.program}: ${r.error}`);
  return failed.length > 0 ? failed.join('; ') : undefined;
}

interface ActionContext {
  options: UiCommandOptions;
  fleet: Fleet;
  hosts: readonly HostConfig[];
  viewOf: (host: string) => HostView | undefined;
  run: Omit<ControlRun, 'options' | 'owner'>;
}

/** Who the deploy records say did it: the local user, through `convoy ui`. */
function ownerOf(context: ActionContext, request: ActionRequest) {
  const commandLine = ['convoy ui:', request.action, request.host, ...request.programs].join(' ');
  return newLockOwner(commandLine, new Date(), context.options.env);
}

/** Runs one action of the page, on its host as `convoy <action> <host> <programs>` would there, or fleet-wide. */
function actionRunner(context: ActionContext) {
  return async (request: ActionRequest, progress: (u: ActionUpdate) => void) => {
    if (request.host === everyHost) return fleetAction(context, request, progress);
    const host = context.hosts.find((h) => h.name === request.host);
    if (!host) throw new UsageError(`no host ${request.host} in the target`);
    const session = await context.fleet.session(host);
    const run = { ...context.run, options: request, owner: ownerOf(context, request) };
    return controlOnHost(run, session, host);
  };
}

/** A page of the user's alone (0600 in a 0700 directory) that sends the browser to `url`; `remove` deletes it. */
export function writeOpenerPage(url: string): { file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convoy-ui-'));
  const file = path.join(dir, 'open.html');
  const html = `<!doctype html><meta http-equiv="refresh" content="0;url=${url}"><a href="${url}">convoy ui</a>\n`;
  writeFileSync(file, html, { mode: 0o600 });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The browser, started on the URL through a page that redirects to it (as Jupyter does): the token must not be in
 * an argv that every user of the machine can read. Its failure is only said.
 */
function openBrowser(url: string, output: Output): () => void {
  const page = writeOpenerPage(url);
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = spawn(opener, [page.file], { stdio: 'ignore', detached: true });
  child.on('error', (error) =>
    output.warn(`--open: could not start ${opener} (${error.message}); open the URL yourself`),
  );
  child.unref();
  return page.remove;
}

/** Loopback addresses: the server is reachable from this machine only. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}

export async function uiCommand(options: UiCommandOptions): Promise<number> {
  const { inventory, hosts } = loadTarget(options, options.target);
  const apps = await knownApps(options);
  const roots = new Map([...apps.values()].map((a) => [a.name, a.root]));
  const fleet = openFleet(options, inventory);
  const out = options.output;
  try {
    const user = newLockOwner('convoy ui', new Date(), options.env).user;
    let viewOf: (host: string) => HostView | undefined = () => undefined;
    const run = { apps, reporter: quietReporter };
    const runAction = actionRunner({ options, fleet, hosts, viewOf: (h) => viewOf(h), run });
    const dashboard = new Dashboard({ target: options.target, user, intervalMs: options.intervalMs, runAction });
    const poller = new FleetPoller({
      hosts,
      source: fleet,
      intervalMs: options.intervalMs,
      pollTimeoutMs: pollTimeoutFor(options.intervalMs),
      readApps: (session, _host, groups) => readAppViews(session, roots, groups),
      onView: (view) => dashboard.publish(view),
    });
    dashboard.attach(poller);
    viewOf = (host) => poller.view(host);
    const followLog = pageLogFollower(fleet, hosts, (host) => poller.view(host));
    const server = await startUiServer({ address: options.listen, port: options.port, dashboard, followLog });
    poller.start();
    if (!isLoopback(options.listen)) {
      out.warn(`convoy ui: listening on ${options.listen}: whoever reaches it with the URL's token drives the fleet`);
    }
    if (out.jsonMode) out.record({ type: 'ui', url: server.url, port: server.port, hosts: hosts.length });
    else out.line(`convoy ui: ${hosts.length} hosts at ${server.url} (Ctrl-C stops it)`);
    const removeOpener = options.open ? openBrowser(server.url, out) : undefined;
    await options.interruption.promise;
    removeOpener?.();
    poller.stop();
    await server.close();
    return interruptedWith(options.interruption) ?? 0;
  } finally {
    await fleet.close();
  }
}
