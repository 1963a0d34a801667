// Ctrl-C: the first one asks the running command to stop starting new work (in-flight steps finish, locks are
// released, the summary is printed, exit 130); the second one exits at once and says what may be left behind.
import type { Interruption } from '../commands/interruption.ts';

export interface InterruptHandler extends Interruption {
  dispose(): void;
}

export function listenForInterrupts(
  writeErr: (text: string) => void,
  exit: (code: number) => never = (code) => process.exit(code),
): InterruptHandler {
  let count = 0;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  const onSignal = () => {
    count++;
    if (count === 1) {
      writeErr(
        '\nconvoy: interrupted: no new host or batch starts; steps in flight finish and locks are released (Ctrl-C again to exit at once)\n',
      );
      resolve();
      return;
    }
    writeErr(
      'convoy: interrupted again: exiting now. Steps in flight may be half done, and app locks may be left on hosts (`convoy deploy --force-unlock` breaks them); `convoy status` shows where programs stand.\n',
    );
    exit(130);
  };
  process.on('SIGINT', onSignal);
  return { promise, requested: () => count > 0, dispose: () => process.off('SIGINT', onSignal) };
}
