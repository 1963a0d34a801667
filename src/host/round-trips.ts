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
