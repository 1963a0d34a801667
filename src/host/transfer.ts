// How much of an artifact is in flight to each host: enough to fill a long link to one host, bounded in total so
// that a deploy to hundreds of hosts does not hold hundreds of upload windows in memory.
import { RemoteStepError } from './errors.ts';

/** SFTP write size (OpenSSH's sftp-server takes 32 KB writes without splitting them). */
export const uploadChunkBytes = 32 * 1024;
/** In flight across all hosts at once: 32 MB. */
const totalChunks = 1024;
/** Per host: at most 2 MB (fills ~40 MB/s at 50 ms RTT), at least 128 KB. */
const maxChunksPerHost = 64;
const minChunksPerHost = 4;

/** Chunks each host may have in flight when `hostsAtOnce` hosts upload at the same time. */
export function uploadChunksPerHost(hostsAtOnce: number): number {
  const share = Math.floor(totalChunks / Math.max(1, hostsAtOnce));
  return Math.min(maxChunksPerHost, Math.max(minChunksPerHost, share));
}

/**
 * One SFTP call as a promise, its error named after the step: ssh2's SFTP calls take a callback, and fastPut and
 * fastGet report only a bare message.
 */
export function sftpTransfer(
  host: string,
  step: string,
  start: (done: (error: Error | null | undefined) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    start((error) => (error ? reject(new RemoteStepError(host, step, undefined, error.message)) : resolve()));
  });
}
