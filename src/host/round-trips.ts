// How many times a run waited on a host (docs/command-line.md, `CONVOY_COUNT_ROUND_TRIPS`): every command and every
// supervisord request opens a channel of its own, so counting channels where every transport passes (the session's
// connection) counts round trips, whichever transport carries them. Tiny on purpose: plan shows it, benchmarks read it.
import type { HostConnection } from '../ssh/connection.ts';

export interface RoundTrips {
  /** Commands and step scripts (exec channels). */
  exec: number;
  /** supervisord requests: a stream to its socket, or an exec relay channel where sshd refuses streamlocal. */
  rpc: number;
  /** Files copied to or from the host. */
  files: number;
}

export function noRoundTrips(): RoundTrips {
  return { exec: 0, rpc: 0, files: 0 };
}

/** `inner`, counting into `counts` each channel it opens. */
export function countedConnection(inner: HostConnection, counts: RoundTrips): HostConnection {
  return {
    get host() {
      return inner.host;
    },
    get description() {
      return inner.description;
    },
    get closed() {
      return inner.closed;
    },
    get hostKey() {
      return inner.hostKey;
    },
    exec: (command, options) => {
      counts.exec++;
      return inner.exec(command, options);
    },
    execChannel: (command, answer) => {
      counts.rpc++;
      return inner.execChannel(command, answer);
    },
    putFile: (local, remote, options) => {
      counts.files++;
      return inner.putFile(local, remote, options);
    },
    getFile: (remote, local) => {
      counts.files++;
      return inner.getFile(remote, local);
    },
    openUnixSocket: (socketPath) => {
      counts.rpc++;
      return inner.openUnixSocket(socketPath);
    },
    forwardTcp: (address, port) => inner.forwardTcp(address, port),
    guard: (work) => inner.guard(work),
    close: () => inner.close(),
  };
}

/** The marker of a round-trip line on stderr (`CONVOY_COUNT_ROUND_TRIPS=1`), which tests and benchmarks look for. */
export const roundTripMarker = 'convoy round trips:';

/** One line per host: `convoy round trips: <host> exec=N rpc=N files=N total=N`, in the order the hosts opened. */
export function roundTripLines(counts: ReadonlyMap<string, RoundTrips>): string {
  return [...counts]
    .map(([host, c]) => {
      const total = c.exec + c.rpc + c.files;
      return `${roundTripMarker} ${host} exec=${c.exec} rpc=${c.rpc} files=${c.files} total=${total}\n`;
    })
    .join('');
}

/** The lines of roundTripLines read back (other lines are skipped): each host's counts. */
export function parseRoundTripLines(text: string): Map<string, RoundTrips> {
  const counts = new Map<string, RoundTrips>();
  const shape = /^convoy round trips: (\S+) exec=(\d+) rpc=(\d+) files=(\d+)/;
  for (const line of text.split('\n')) {
    const m = shape.exec(line);
    if (m) counts.set(m[1]!, { exec: Number(m[2]), rpc: Number(m[3]), files: Number(m[4]) });
  }
  return counts;
}
