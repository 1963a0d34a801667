// ProxyCommand from ~/.ssh/config: a local command whose stdin and stdout carry the SSH connection, as ssh runs it.
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { TailBuffer } from './tail-buffer.ts';

/** The command's end of the connection, and what it printed on stderr (for the message when the connection fails). */
export interface ProxiedSocket {
  sock: Duplex;
  stderr: () => string;
  stop: () => void;
  /** How the command ended ('exited with code 127'), waiting up to `ms` for it (and its stderr); undefined if running. */
  ended: (ms: number) => Promise<string | undefined>;
}

// ssh's tokens for ProxyCommand: %h the host to reach, %p its port, %r the login, %n the name as given, %% a %.
export function expandProxyCommand(command: string, to: { address: string; port: number; user: string; name: string }) {
  const tokens: Record<string, string> = { h: to.address, p: String(to.port), r: to.user, n: to.name };
  return command.replace(/%(.)/g, (all, letter: string) => (letter === '%' ? '%' : (tokens[letter] ?? all)));
}

// Runs `exec COMMAND` through /bin/sh as ssh does (so the shell does not stay in between); its stderr is kept, not
// shown: Convoy's output is its own events, and a proxy's chatter would break the progress display.
export function startProxyCommand(command: string): ProxiedSocket {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = new TailBuffer(4096);
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
  let end: string | undefined;
  const closed = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      end = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    }),
  );
  const ended = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    return end;
  };
  child.on('error', (error) => sock.destroy(error));
  sock.on('close', stop);
  return { sock, stderr: () => stderr.text().trim(), stop, ended };
}
