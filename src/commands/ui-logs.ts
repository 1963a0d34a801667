// The dashboard's log tail: one program's stdout or stderr followed on one host, or a group's on every host that
// runs it, interleaved line by line with the host named; bytes supervisord cannot send as text are said, not fatal.
import type { Fleet } from '../host/fleet.ts';
import type { HostConfig } from '../inventory/types.ts';
import { createLinePrefixer } from '../output/line-prefixer.ts';
import type { HostSession } from '../host/session.ts';
import type { SupervisorClient } from '../supervisor/client.ts';
import { logBytesCommand } from '../supervisor/log-bytes.ts';
import { followLog } from '../supervisor/log-follow.ts';
import type { LogStream } from '../supervisor/log-read.ts';
import type { ByteRange } from '../supervisor/log-window.ts';
import { selectProcesses } from '../supervisor/select.ts';
import type { HostView } from '../ui/model.ts';
import type { LogLine, LogRequest } from '../ui/server.ts';

const followIntervalMs = 500;
/** Lines of the log shown when the tail opens. */
const firstLines = 50;

/** How long reading a log window's bytes on the host may take (one `tail | head | base64`). */
const bytesReadTimeoutMs = 10_000;

/**
 * A log window's raw bytes, read on the host as the login (supervisord sends only UTF-8 text): the log file from
 * supervisord's process info, then `tail -c | head -c | base64` over exec. A log the login may not read fails, and
 * the tail shows a notice line instead.
 */
function hostBytesReader(session: HostSession, client: SupervisorClient, program: string, stream: LogStream) {
  let file: Promise<string> | undefined;
  return async (range: ByteRange): Promise<Buffer> => {
    file ??= client.getProcessInfo(program).then((i) => (stream === 'stdout' ? i.stdout_logfile : i.stderr_logfile));
    const command = logBytesCommand(await file, range);
    const result = await session.exec(command, { signal: AbortSignal.timeout(bytesReadTimeoutMs) });
    if (result.code !== 0) throw new Error(`${session.name}: ${result.stderr.trim()}`);
    return Buffer.from(result.stdout.replace(/\s+/g, ''), 'base64');
  };
}

/** Follows the log on one host until `stopped`; its programs as the host's last view has them. */
async function followOnHost(
  fleet: Fleet,
  host: HostConfig,
  programs: readonly { group: string; name: string }[],
  request: LogRequest,
  onLine: (line: LogLine) => void,
  stopped: Promise<void>,
): Promise<void> {
  const { selected } = selectProcesses(programs, [request.program]);
  if (selected.length === 0) return;
  const session = await fleet.session(host);
  const client = session.supervisor();
  let done = false;
  void stopped.then(() => (done = true));
  const wait = (ms: number) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopped]);
  await Promise.all(
    selected.map(async (p) => {
      const program = `${p.group}:${p.name}`;
      const sink = createLinePrefixer('', (text) => onLine({ host: host.name, program, text: text.slice(0, -1) }));
      const notText = (error: Error) => onLine({ host: host.name, program, text: error.message, notice: true });
      const follow = {
        lines: firstLines,
        follow: true,
        intervalMs: followIntervalMs,
        stopped: () => done,
        wait,
        notText,
        readBytes: hostBytesReader(session, client, program, request.stream),
      };
      await followLog({ client, name: program, stream: request.stream }, follow, (t) => sink.push(Buffer.from(t)));
      sink.flush();
    }),
  );
}

/** The server's `followLog`: every host asked for (one, or all of the target), each failure a notice line. */
export function pageLogFollower(
  fleet: Fleet,
  hosts: readonly HostConfig[],
  viewOf: (host: string) => HostView | undefined,
) {
  return async (request: LogRequest, onLine: (line: LogLine) => void, stopped: Promise<void>): Promise<void> => {
    const chosen = hosts.filter((h) => request.host === undefined || h.name === request.host);
    await Promise.all(
      chosen.map((host) =>
        followOnHost(fleet, host, viewOf(host.name)?.programs ?? [], request, onLine, stopped).catch((error: unknown) =>
          onLine({ host: host.name, program: request.program, text: (error as Error).message, notice: true }),
        ),
      ),
    );
  };
}
