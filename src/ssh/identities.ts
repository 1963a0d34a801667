// Identity files as a run uses them: plain keys read once; an encrypted key left to ssh-agent when the agent holds
// it, else unlocked with a passphrase asked once per key per run (as ssh-add: 3 tries), else skipped with a reason.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { ConvoyError, ExitCode } from '../errors.ts';

/** One passphrase question: the key file, and which try this is (1 to 3). */
export interface PassphraseQuestion {
  file: string;
  attempt: number;
}

/** Asks for a key's passphrase (hidden); undefined or '' = the user gave none. Supplied by the CLI on a terminal. */
export type PassphrasePrompt = (question: PassphraseQuestion) => Promise<string | undefined>;

/** What an identity file gives a connection. */
export type Identity =
  | { kind: 'key'; file: string; key: ParsedKey }
  /** Encrypted, and the agent holds it: the agent offers it. */
  | { kind: 'agent'; file: string }
  /** Missing, unreadable or not a key this client reads: skipped quietly, as OpenSSH does. */
  | { kind: 'missing'; file: string }
  /** Encrypted and not unlocked: why, and what to do (said when the host then has no key). */
  | { kind: 'locked'; file: string; reason: string };

/** Three wrong passphrases for one key: the run does not guess on. */
export class PassphraseError extends ConvoyError {
  readonly file: string;
  constructor(file: string) {
    super(`the key ${file}: wrong passphrase, ${maxTries} tries`, { exitCode: ExitCode.unreachable });
    this.file = file;
  }
}

export interface KeyringOptions {
  /** Absent without a terminal: encrypted keys the agent lacks are then locked. */
  prompt?: PassphrasePrompt | undefined;
  /** The agent's socket (SSH_AUTH_SOCK); its keys are listed once per run. */
  agentSocket?: string | undefined;
  /** The public key blobs the agent holds (tests); default: asked of the agent at `agentSocket`. */
  agentKeys?: (() => Promise<Buffer[]>) | undefined;
}

// ssh-add's and ssh's number of tries.
const maxTries = 3;

/** The identity files of one run: each read (and its passphrase asked) once, however many hosts connect at once. */
export class Keyring {
  private readonly loaded = new Map<string, Promise<Identity>>();
  private agentBlobs: Promise<Buffer[]> | undefined;

  constructor(private readonly options: KeyringOptions = {}) {}

  /** The file's identity; concurrent callers share one read, one agent look-up and one prompt. */
  load(file: string): Promise<Identity> {
    let identity = this.loaded.get(file);
    if (!identity) {
      identity = this.read(file);
      this.loaded.set(file, identity);
    }
    return identity;
  }

  private async read(file: string): Promise<Identity> {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      return { kind: 'missing', file };
    }
    const parsed = ssh2.utils.parseKey(data);
    if (!(parsed instanceof Error)) return { kind: 'key', file, key: parsed };
    if (!isEncrypted(data)) return { kind: 'missing', file };
    const publicBlob = publicBlobOf(data) ?? publicBlobNextTo(file);
    const agentKeys = this.agentKeys();
    if (publicBlob && agentKeys && (await agentKeys).some((blob) => blob.equals(publicBlob))) {
      return { kind: 'agent', file };
    }
    if (!this.options.prompt) return { kind: 'locked', file, reason: noTerminalReason(file, agentKeys !== undefined) };
    return unlock(file, data, this.options.prompt);
  }

  /** The agent's keys, listed once; undefined when no agent runs. An agent that fails to answer holds nothing. */
  private agentKeys(): Promise<Buffer[]> | undefined {
    if (this.options.agentKeys) return (this.agentBlobs ??= this.options.agentKeys().catch(() => []));
    const socket = this.options.agentSocket;
    if (!socket) return undefined;
    this.agentBlobs ??= new Promise<Buffer[]>((resolve) => {
      new ssh2.OpenSSHAgent(socket).getIdentities((error, keys) =>
        resolve(error || !keys ? [] : keys.flatMap((k) => ('getPublicSSH' in k ? [k.getPublicSSH()] : []))),
      );
    });
    return this.agentBlobs;
  }
}

function noTerminalReason(file: string, agentRuns: boolean): string {
  const agent = agentRuns ? 'no ssh-agent holds it' : 'no ssh-agent runs (SSH_AUTH_SOCK)';
  return `the key ${file} is encrypted, ${agent}, and there is no terminal to ask its passphrase on: run \`ssh-add ${file}\``;
}

/** Asks up to 3 times; an empty answer gives the key up (as ssh does); the third wrong one fails the run's hosts. */
async function unlock(file: string, data: Buffer, prompt: PassphrasePrompt): Promise<Identity> {
  for (let attempt = 1; attempt <= maxTries; attempt++) {
    const passphrase = await prompt({ file, attempt });
    if (!passphrase) {
      return { kind: 'locked', file, reason: `the key ${file} is encrypted and no passphrase was given` };
    }
    const key = ssh2.utils.parseKey(data, passphrase);
    if (!(key instanceof Error)) return { kind: 'key', file, key };
  }
  throw new PassphraseError(file);
}

/** Encrypted by its own header, not by ssh2's message: OpenSSH's cipher name, or PEM's Proc-Type / PKCS#8 label. */
function isEncrypted(data: Buffer): boolean {
  const text = data.toString('latin1');
  if (/Proc-Type:\s*4,ENCRYPTED/.test(text) || text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) return true;
  const body = openSshBody(text);
  return body !== undefined && readString(body, magic.length)?.value.toString('latin1') !== 'none';
}

const magic = Buffer.from('openssh-key-v1\0', 'latin1');

function openSshBody(text: string): Buffer | undefined {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!match) return undefined;
  const body = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64');
  return body.subarray(0, magic.length).equals(magic) ? body : undefined;
}

function readString(data: Buffer, offset: number): { value: Buffer; end: number } | undefined {
  if (offset + 4 > data.length) return undefined;
  const end = offset + 4 + data.readUInt32BE(offset);
  return end > data.length ? undefined : { value: data.subarray(offset + 4, end), end };
}

/**
 * The public key an OpenSSH private key file carries in the clear (cipher, kdf, kdf options, count, then the first
 * public key), so an encrypted key can be matched with the agent's keys without its passphrase. PEM keys have none.
 */
export function publicBlobOf(data: Buffer): Buffer | undefined {
  const body = openSshBody(data.toString('latin1'));
  if (!body) return undefined;
  let offset = magic.length;
  for (let field = 0; field < 3; field++) {
    const next = readString(body, offset);
    if (!next) return undefined;
    offset = next.end;
  }
  if (offset + 4 > body.length || body.readUInt32BE(offset) < 1) return undefined;
  return readString(body, offset + 4)?.value;
}

/** The `.pub` file next to the key (ssh-keygen writes one), for keys whose file does not carry the public part. */
function publicBlobNextTo(file: string): Buffer | undefined {
  try {
    const parsed = ssh2.utils.parseKey(readFileSync(`${file}.pub`));
    return parsed instanceof Error ? undefined : parsed.getPublicSSH();
  } catch {
    return undefined;
  }
}
