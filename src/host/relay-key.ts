// What fan-out uploads (src/deploy/fanout.ts) need from the SSH layer, which nothing above the host session touches:
// a key pair made for one deploy, and a host's key as this machine verified it, as a known_hosts line.
import ssh2 from 'ssh2';
import { knownHostsLine } from '../ssh/known-hosts.ts';
import type { HostSession } from './session.ts';

/** An ed25519 pair in OpenSSH's formats: `privateKey` for `ssh -i`, `publicKey` as `ssh-ed25519 AAAA…` (no comment). */
export interface RelayKeyPair {
  privateKey: string;
  publicKey: string;
}

/** A new pair (ssh2 writes OpenSSH's own private key format, which node:crypto does not). */
export function newRelayKeyPair(): RelayKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519');
  const publicKey = pair.public.trim().split(/\s+/).slice(0, 2).join(' ');
  return { privateKey: pair.private, publicKey };
}

/** The host's key as the session's connection verified it, as a known_hosts line for `name`; undefined when unknown. */
export function verifiedHostKeyLine(session: HostSession, name: string): string | undefined {
  const blob = session.verifiedHostKey;
  return blob ? knownHostsLine(name, blob) : undefined;
}
