// What a deploy's ownership pass read on each host before any lock was taken (docs/deploy.md, "Unchanged hosts"):
// the app's state and its processes. The run pass takes it once per host, so that a host with nothing to change is
// answered from it, without a lock, a record entry or another round trip. Taken once: a later look reads again.
import type { RunningProcess } from './record.ts';
import type { RemoteState } from './remote-state.ts';

export interface PreRead {
  state: RemoteState;
  /** The app's processes; undefined when supervisord did not answer (the run pass finds out why). */
  running: RunningProcess[] | undefined;
  /** Another app of the run was deployed since (its restarts took time): the processes are read again. */
  processesStale?: boolean;
}

export class PreReads {
  private readonly reads = new Map<string, PreRead>();

  keep(app: string, host: string, read: PreRead): void {
    this.reads.set(key(app, host), read);
  }

  /** An app of the run is done: what the others' reads say of their processes may be old by their turn. */
  appDone(): void {
    for (const read of this.reads.values()) read.processesStale = true;
  }

  take(app: string, host: string): PreRead | undefined {
    const read = this.reads.get(key(app, host));
    this.reads.delete(key(app, host));
    return read;
  }
}

function key(app: string, host: string): string {
  return `${app}\n${host}`;
}
