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
import type { NormalisedApp } from '../tasks/normalised.ts';
import type { ActionRequest } from '../ui/actions.ts';
import { readAppViews } from '../ui/apps.ts';
import { Dashboard } from '../ui/dashboard.ts';
import { FleetPoller } from '../ui/poller.ts';
import { startUiServer } from '../ui/server.ts';
import type { Interruption } from './interruption.ts';
import { interruptedWith } from './interruption.ts';
import { controlOnHost, knownApps } from './control.ts';
import type { FleetContextOptions } from './fleet-context.ts';
import { openFleet, targetHosts } from './fleet-context.ts';
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

/** Runs one action of the page on its host, as `convoy <action> <host> <programs>` would there. */
function actionRunner(
  options: UiCommandOptions,
  fleet: Fleet,
  hosts: readonly HostConfig[],
  apps: Map<string, NormalisedApp>,
) {
  return async (request: ActionRequest) => {
    const host = hosts.find((h) => h.name === request.host);
    if (!host) throw new UsageError(`no host ${request.host} in the target`);
    const commandLine = ['convoy ui:', request.action, request.host, ...request.programs].join(' ');
    const owner = newLockOwner(commandLine, new Date(), options.env);
    const session = await fleet.session(host);
    const run = { options: request, apps, reporter: quietReporter, owner };
    return (await controlOnHost(run, session, host)).value;
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
  const hosts = targetHosts(options, options.target);
  const apps = await knownApps(options);
  const roots = new Map([...apps.values()].map((a) => [a.name, a.root]));
  const fleet = openFleet(options);
  const out = options.output;
  try {
    const user = newLockOwner('convoy ui', new Date(), options.env).user;
    const runAction = actionRunner(options, fleet, hosts, apps);
    const dashboard = new Dashboard({ target: options.target, user, intervalMs: options.intervalMs, runAction });
    const poller = new FleetPoller({
      hosts,
      source: fleet,
      intervalMs: options.intervalMs,
      readApps: (session, _host, groups) => readAppViews(session, roots, groups),
      onView: (view) => dashboard.publish(view),
    });
    dashboard.attach(poller);
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
