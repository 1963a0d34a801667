// Ctrl-C (docs/command-line.md, "Interruption"): the first one asks the running command to stop starting new work
// (in-flight steps finish, locks are released, the summary is printed, exit 130); the second one exits at once and
// says what may be left behind. What each says depends on what the command does.
import type { Interruption } from '../commands/interruption.ts';

export interface InterruptHandler extends Interruption {
  dispose(): void;
}

interface Notices {
  first: string;
  second: string;
  /** Said as `convoy <command>: <first>` alone: stopping is how the command ends (a server), not an interruption. */
  plain?: boolean;
}

const takesLocks: Notices = {
  first: 'no new host or batch starts; steps in flight finish and locks are released (Ctrl-C again to exit at once)',
  second:
    'exiting now. Steps in flight may be half done, and app locks may be left on hosts (`convoy deploy --force-unlock` breaks them); `convoy status` shows where programs stand.',
};

const batches: Notices = {
  first: 'no new batch starts; programs being started or stopped finish (Ctrl-C again to exit at once)',
  second:
    'exiting now. Programs being started or stopped may not have settled; `convoy status` shows where they stand.',
};

const readsOnly: Notices = { first: 'stopping', second: 'exiting now.' };

const server: Notices = { first: 'stopped', second: 'exiting now.', plain: true };

const others: Notices = {
  first: 'commands already started on hosts run to their end (Ctrl-C again to exit at once)',
  second: 'exiting now. Commands already started on hosts may still be running there.',
};

/** What Ctrl-C says for `command` (the command's name as typed: `deploy`, `logs`, …). */
export function interruptNotices(command: string): Notices {
  if (command === 'deploy' || command === 'rollback') return takesLocks;
  if (command === 'start' || command === 'stop' || command === 'restart') return batches;
  if (command === 'logs' || command === 'status') return readsOnly;
  if (command === 'ui') return server;
  return others;
}

/** The exit code of a run stopped by each signal (128 + the signal's number, as shells report it). */
const signalExitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof signalExitCodes;

/**
 * The first SIGINT, SIGTERM or SIGHUP asks for an orderly stop (a cancelled CI job sends SIGTERM; a closed terminal
 * SIGHUP); the exit code then says which one came first. Only a second SIGINT exits at once: CI runners send SIGINT
 * and then SIGTERM a few seconds later, and that SIGTERM must not abandon the orderly stop.
 */
export function listenForInterrupts(
  writeErr: (text: string) => void,
  exit: (code: number) => never = (code) => process.exit(code),
  /** The command running now (known once the command line is parsed). */
  command: () => string = () => '',
): InterruptHandler {
  let first: StopSignal | undefined;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const onSignal = (signal: StopSignal) => {
    const notices = interruptNotices(command());
    if (first === undefined) {
      first = signal;
      const what = signal === 'SIGINT' ? 'interrupted' : `stopping on ${signal}`;
      writeErr(notices.plain ? `\nconvoy ${command()}: ${notices.first}\n` : `\nconvoy: ${what}: ${notices.first}\n`);
      resolve();
      return;
    }
    if (signal !== 'SIGINT') return;
    writeErr(`convoy: interrupted again: ${notices.second}\n`);
    exit(signalExitCodes.SIGINT);
  };
  const listeners = (Object.keys(signalExitCodes) as StopSignal[]).map((signal) => {
    const listener = () => onSignal(signal);
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  return {
    promise,
    requested: () => first !== undefined,
    exitCode: () => signalExitCodes[first ?? 'SIGINT'],
    dispose: () => listeners.forEach((off) => off()),
  };
}
