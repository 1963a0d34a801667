// How much of an artifact is in flight to each host: enough to fill a long link to one host, bounded in total so
// that a deploy to hundreds of hosts does not hold hundreds of upload windows in memory.
import { ConvoyError } from '../errors.ts';
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
 * A file transfer as a named step: the transfer's own error (SFTP's bare message, or what the OpenSSH transport's
 * copy said) becomes a RemoteStepError naming the host and step; a lost connection stays the SshError it is.
 */
export async function fileStep(host: string, step: string, transfer: Promise<void>): Promise<void> {
  try {
    await transfer;
  } catch (error) {
    if (error instanceof ConvoyError) throw error;
    throw new RemoteStepError(host, step, undefined, (error as Error).message);
  }
}
