// Which keys a connection offers, and through which agent: identity files first, then the agent's keys, chosen as
// OpenSSH chooses them (IdentitiesOnly, IdentityAgent) and capped below sshd's MaxAuthTries.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, IdentityCallback, ParsedKey } from 'ssh2';
import type { Keyring } from './identities.ts';

// sshd's default MaxAuthTries: it disconnects after that many refused keys, so a later key is never tried and the
// run fails where `ssh -o IdentitiesOnly=yes` would have got in.
export const maxKeysOffered = 6;

const defaultIdentities = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** What choosing keys reads of a host. */
export interface AuthTarget {
  user: string;
  identityFiles: readonly string[];
  identitiesOnly?: boolean | undefined;
  identityAgent?: string | undefined;
}

/** What choosing keys reads of the run: SSH_AUTH_SOCK, the home for default keys, the environment for `$VAR`. */
export interface AuthSources {
  agentSocket?: string | undefined;
  homeDir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The methods to hand ssh2, and how many keys exist against how many are offered (filled in as the agent lists). */
export interface AuthPlan {
  methods: AnyAuthMethod[];
  count: { offered: number; available: number };
}

// IdentityAgent: absent means SSH_AUTH_SOCK; `none` no agent; `SSH_AUTH_SOCK` or `$VAR` that variable; else a path.
export function agentSocketFor(target: AuthTarget, sources: AuthSources): string | undefined {
  const agent = target.identityAgent;
  const env = sources.env ?? process.env;
  if (agent === undefined) return sources.agentSocket;
  if (agent === 'none') return undefined;
  if (agent === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || sources.agentSocket;
  if (agent.startsWith('$')) return env[agent.slice(1)] || undefined;
  return agent;
}

// The key files to try: the host's, else OpenSSH's default names in ~/.ssh.
function identityFilesOf(target: AuthTarget, sources: AuthSources): string[] {
  const home = sources.homeDir ?? os.homedir();
  return target.identityFiles.length > 0
    ? [...target.identityFiles]
    : defaultIdentities.map((f) => path.join(home, '.ssh', f));
}

// The public half of an identity: from the private key when it parses, else from `file.pub` (an encrypted key whose
// unlocked copy is in the agent).
function publicBlob(file: string, privateKey: Buffer | undefined): Buffer | undefined {
  for (const text of [privateKey, readOrUndefined(`${file}.pub`)]) {
    if (text === undefined) continue;
    const parsed = ssh2.utils.parseKey(text);
    if (!(parsed instanceof Error)) return parsed.getPublicSSH();
  }
  return undefined;
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Identity files that exist, read through the run's keyring (an encrypted one unlocked, or left to the agent that
 * holds it), in order, then the agent's keys, at most 6 in all; and why each encrypted file not unlocked was left out.
 */
export async function authPlan(
  target: AuthTarget,
  sources: AuthSources,
  keyring: Keyring,
): Promise<AuthPlan & { locked: string[] }> {
  const files: { key: ParsedKey; blob: Buffer }[] = [];
  const identities: Buffer[] = [];
  const locked: string[] = [];
  for (const file of identityFilesOf(target, sources)) {
    const identity = await keyring.load(file);
    if (identity.kind === 'locked') locked.push(identity.reason);
    // A public key (`IdentityFile x.pub` names an agent key, a common idiom), an encrypted key the agent holds:
    // not offered from the file, but they say which agent keys IdentitiesOnly allows.
    const blob = identity.kind === 'key' ? identity.key.getPublicSSH() : publicBlob(file, readOrUndefined(file));
    if (blob) identities.push(blob);
    if (identity.kind === 'key' && blob && identity.key.isPrivateKey()) files.push({ key: identity.key, blob });
  }
  const offeredFiles = files.slice(0, maxKeysOffered);
  const plan: AuthPlan & { locked: string[] } = {
    methods: offeredFiles.map(({ key }) => ({ type: 'publickey', username: target.user, key })),
    count: { offered: offeredFiles.length, available: files.length },
    locked,
  };
  const socket = agentSocketFor(target, sources);
  const room = maxKeysOffered - offeredFiles.length;
  if (socket && room > 0) plan.methods.push(agentMethod(target, socket, files, identities, plan, room));
  return plan;
}

/** The agent's keys, less those offered from files, only those IdentitiesOnly allows, and only as many as there is room. */
function agentMethod(
  target: AuthTarget,
  socket: string,
  files: readonly { blob: Buffer }[],
  identities: readonly Buffer[],
  plan: AuthPlan,
  room: number,
): AnyAuthMethod {
  const choose = (keys: ParsedKey[]): ParsedKey[] => {
    const fresh = keys.filter((k) => !files.some((f) => f.blob.equals(k.getPublicSSH())));
    const allowed = target.identitiesOnly
      ? fresh.filter((k) => identities.some((b) => b.equals(k.getPublicSSH())))
      : fresh;
    plan.count.available += allowed.length;
    plan.count.offered += Math.min(room, allowed.length);
    return allowed.slice(0, room);
  };
  return { type: 'agent', username: target.user, agent: new ChoosingAgent(socket, choose) };
}

// The agent at `socket`, listing only the keys `choose` keeps (IdentitiesOnly, the cap, keys already offered).
class ChoosingAgent extends ssh2.OpenSSHAgent {
  constructor(
    socket: string,
    private readonly choose: (keys: ParsedKey[]) => ParsedKey[],
  ) {
    super(socket);
  }

  override getIdentities(callback: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      if (err || !keys) return callback(err);
      // OpenSSHAgent lists parsed keys; the wider type allows entries that wrap them.
      callback(undefined, this.choose(keys.filter((k): k is ParsedKey => !('pubKey' in k))));
    });
  }
}
