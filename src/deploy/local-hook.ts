// A batch hook run on this machine (`hooks.beforeBatch: { local: … }`): `/bin/sh -c`, in the project, bounded by the
// step timeout, its output passed on line by line. A non-zero exit, a signal or the timeout is a LocalHookError.
import { spawn } from 'node:child_process';

export class LocalHookError extends Error {}

export interface LocalHookOptions {
  /** Where it runs (the project: the directory Convoy runs in). */
  cwd: string;
  /** Added to this process's environment. */
  env: Readonly<Record<string, string>>;
  /** 0 = no limit. */
  timeoutMs: number;
  /** Each line of its stdout or stderr, as it comes. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** Runs `command`; `name` is how messages call it (`beforeBatch hook (batch 2)`). */
export function runLocalHook(name: string, command: string, options: LocalHookOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that the timeout stops what it started too (they hold its output open).
      detached: true,
    });
    const lastLines: string[] = [];
    const relay = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      child[stream].on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) said(line, stream);
      });
      child[stream].on('end', () => rest !== '' && said(rest, stream));
    };
    const said = (line: string, stream: 'stdout' | 'stderr') => {
      // The last 3 lines of stderr go into the error.
      if (stream === 'stderr' && lastLines.push(line) > 3) lastLines.shift();
      options.onLine(line, stream);
    };
    relay('stdout');
    relay('stderr');
    let timedOut = false;
    const timer =
      options.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-(child.pid ?? 0), 'SIGTERM');
            } catch {
              child.kill('SIGTERM');
            }
          }, options.timeoutMs)
        : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new LocalHookError(`${name} could not start: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const how = timedOut
        ? `did not finish within ${options.timeoutMs / 1000}s (step timeout)`
        : signal
          ? `was killed by ${signal}`
          : `exited with ${code}`;
      const tail = lastLines.length > 0 ? `: ${lastLines.join(' / ')}` : '';
      reject(new LocalHookError(`${name} ${how}${tail}`));
    });
  });
}
