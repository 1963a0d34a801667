// OpenSSH known_hosts: parsing (plain and hashed names, wildcards, negation, markers) and the lookup verdict.
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  /** Comma-separated patterns, or one `|1|salt|hash` hashed name. */
  patterns: string;
  keyType: string;
  keyBlob: Buffer;
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'changed'; known: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** No plain key known, but an @cert-authority line covers the name: only a host certificate can be checked. */
  | { status: 'cert-authority'; entry: KnownHostEntry }
  | { status: 'unknown' };

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    entries.push({ file, line: i + 1, marker, patterns, keyType, keyBlob: Buffer.from(key, 'base64') });
  });
  return entries;
}

/** The name OpenSSH looks up: the bare host on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an SSH public key blob (its first string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function matchesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (globMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, name: string): boolean {
  // Most entries are plain names: compare them without building a regular expression per entry and host.
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

/**
 * OpenSSH's verdict for `blob` offered by `name`: revoked beats everything; any other key while the host has known
 * keys, whatever their type, is a changed key (refuse); a host with no known key is unknown (trust only on explicit
 * opt-in). Were a key of a new type "unknown", a man in the middle could offer one and have it recorded. A host
 * known only through an @cert-authority line is its own verdict: ssh2 cannot check the certificate it would need.
 */
export function verifyHostKey(entries: readonly KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && matchesHost(e.patterns, name));
  const revoked = forHost.find((e) => e.marker === '@revoked' && e.keyBlob.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((e) => e.marker === '');
  const match = plain.find((e) => e.keyBlob.equals(blob));
  if (match) return { status: 'match', entry: match };
  if (plain.length > 0) return { status: 'changed', known: plain };
  const authority = entries.find((e) => e.marker === '@cert-authority' && matchesHost(e.patterns, name));
  return authority ? { status: 'cert-authority', entry: authority } : { status: 'unknown' };
}

/** Key types known for `name`, to offer the server: preferring them avoids a false "unknown key" on another type. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => e.marker === '' && matchesHost(e.patterns, name)).map((e) => e.keyType))];
}

export function knownHostsLine(name: string, blob: Buffer): string {
  return `${name} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}
