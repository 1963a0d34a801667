// Fan-out's files on the hosts as pure text (docs/deploy.md, "Fan-out"; docs/remote-layout.md): the authorized_keys
// line that lets a sender run the receive command and nothing else, the scripts that add and remove it atomically,
// the sender's private key and pinned known_hosts, the relay's ssh command line, and the sweep of runs that ended
// without cleaning up (a SIGKILLed controller).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { shellQuote } from '../shell/quote.ts';

/** Every marker starts so: the comment of the authorized_keys line, and the name of the sender's key directory. */
export const markerPrefix = 'convoy-fanout-';

/**
 * One deploy's fan-out: `id` names its lines and directories on the hosts; it says which machine and process run it
 * and until when (`<random>.<machine hash>.<pid>.<until, epoch s>`), so that a later run can tell a dead one.
 */
export interface FanoutRun {
  random: string;
  machine: string;
  pid: number;
  untilEpochS: number;
}

export function runId(run: FanoutRun): string {
  return `${run.random}.${machineHash(run.machine)}.${run.pid}.${run.untilEpochS}`;
}

export function machineHash(machine: string): string {
  return createHash('sha256').update(machine).digest('hex').slice(0, 8);
}

/** A run id read back from a host, or undefined when the text is not one. */
export function parseRunId(id: string): { machineHash: string; pid: number; untilEpochS: number } | undefined {
  const m = /^[0-9a-f]{8,32}\.([0-9a-f]{8})\.(\d{1,10})\.(\d{1,12})$/.exec(id);
  return m ? { machineHash: m[1]!, pid: Number(m[2]), untilEpochS: Number(m[3]) } : undefined;
}

/** Paths whose words mean the same to sh, bash, fish and tcsh (the receive command runs in the login's shell). */
const plainPath = /^\/[A-Za-z0-9_./-]+$/;

/** Why a host cannot receive by relay at `partial`, or undefined when it can. */
export function receiveProblem(partial: string): string | undefined {
  return plainPath.test(partial) && !partial.includes('..') ? undefined : `cache path ${partial} is not plain`;
}

/** The only command the key may run on a receiver: the artifact on stdin into the `.partial` file the stage checks. */
export function receiveCommand(partial: string): string {
  const problem = receiveProblem(partial);
  if (problem) throw new Error(problem);
  return `cat > ${shellQuote(partial)}`;
}

/** `expiry-time` as sshd reads it: YYYYMMDDHHMMSSZ (UTC). */
export function expiryTime(epochS: number): string {
  return `${new Date(epochS * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * The receiver's authorized_keys line: `restrict` (no pty, no forwarding, no ~/.ssh/rc), only from the sender's
 * address, only the receive command, not after the run's deadline. sshd reads `\"` inside an option's quotes as `"`;
 * a line break would end the line, so neither value may hold one.
 */
export function authorizedKeysLine(publicKey: string, sender: string, command: string, run: FanoutRun): string {
  if (isIP(sender) === 0) throw new Error(`the sender's address ${sender} is not an IP address`);
  if (/[\r\n\0]/.test(command) || /[\r\n\0]/.test(publicKey))
    throw new Error('a line break in an authorized_keys line');
  if (!/^ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(publicKey)) throw new Error('not an ssh-ed25519 public key');
  const quoted = command.replace(/"/g, '\\"');
  const options = `restrict,expiry-time="${expiryTime(run.untilEpochS)}",from="${sender}",command="${quoted}"`;
  return `${options} ${publicKey} ${markerPrefix}${runId(run)}`;
}

const authorizedKeys = '"$HOME/.ssh/authorized_keys"';

/**
 * Adds `line` to the login's ~/.ssh/authorized_keys atomically: a copy that keeps the file's mode and owner (or a
 * new 0600 file, in a new 0700 ~/.ssh), the line appended on a line of its own, renamed over the file.
 */
export function authorizeScript(line: string, id: string): string {
  const tmp = `"$HOME/.ssh/.authorized_keys.${id}.tmp"`;
  return [
    'set -e',
    'umask 077',
    '[ -d "$HOME/.ssh" ] || mkdir -m 0700 "$HOME/.ssh"',
    `if [ -L ${authorizedKeys} ]; then echo "~/.ssh/authorized_keys is a symbolic link: not edited" >&2; exit 3; fi`,
    `if [ -e ${authorizedKeys} ]; then cp -p ${authorizedKeys} ${tmp}; else : > ${tmp}; chmod 0600 ${tmp}; fi`,
    `if [ -s ${tmp} ] && [ -n "$(tail -c 1 ${tmp})" ]; then echo >> ${tmp}; fi`,
    `printf '%s\\n' ${shellQuote(line)} >> ${tmp}`,
    `mv -f ${tmp} ${authorizedKeys}`,
  ].join('\n');
}

/** Removes the lines and key directories of these runs (atomically, keeping the file's mode and owner). */
export function removeRunsScript(ids: readonly string[]): string {
  if (ids.length === 0) return 'true';
  const tmp = `"$HOME/.ssh/.authorized_keys.${ids[0]}.rm"`;
  const patterns = ids.map((id) => `-e ${shellQuote(`${markerPrefix}${id}`)}`).join(' ');
  const dirs = ids.map((id) => `"$HOME"/${shellQuote(`.${markerPrefix}${id}`)}`).join(' ');
  return [
    'set -e',
    `if [ -f ${authorizedKeys} ] && [ ! -L ${authorizedKeys} ] && grep -qF ${patterns} ${authorizedKeys}; then`,
    `  cp -p ${authorizedKeys} ${tmp}`,
    `  grep -vF ${patterns} ${authorizedKeys} > ${tmp} || [ $? -eq 1 ]`,
    `  mv -f ${tmp} ${authorizedKeys}`,
    'fi',
    `rm -rf ${dirs}`,
  ].join('\n');
}

/** Prints the run ids found on the host: in authorized_keys lines and as key directories. */
export const sweepReadScript = [
  `grep -oE '${markerPrefix}[0-9a-f.]+' ${authorizedKeys} 2>/dev/null || true`,
  `for d in "$HOME"/.${markerPrefix}*; do [ -e "$d" ] && echo "\${d##*/.}"; done; true`,
].join('\n');

/** What decides that a run has ended: its deadline passed, or it ran on this machine and its process is gone. */
export interface Liveness {
  nowEpochS: number;
  machine: string;
  alive: (pid: number) => boolean;
}

/** The run ids in `said` (sweepReadScript's output) whose runs have ended; never `own`. */
export function endedRuns(said: string, own: string, live: Liveness): string[] {
  const ids = new Set(
    said
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(markerPrefix))
      .map((l) => l.slice(markerPrefix.length)),
  );
  const here = machineHash(live.machine);
  return [...ids].filter((id) => {
    const run = parseRunId(id);
    if (!run || id === own) return false;
    return run.untilEpochS < live.nowEpochS || (run.machineHash === here && !live.alive(run.pid));
  });
}

/** The sender's key directory: new (a directory already there refuses, whoever made it), 0700, the key 0600. */
export function senderKeyScript(id: string): string {
  const dir = `"$HOME"/${shellQuote(`.${markerPrefix}${id}`)}`;
  return `umask 077 && mkdir -m 0700 ${dir} && cat > ${dir}/id_ed25519`;
}

/** One relay: where the receiver is, and its host key as this machine verified it. */
export interface RelayTarget {
  /** The receiver as the sender reaches it: address, port, login. */
  address: string;
  port: number;
  user: string;
  /** A known_hosts line for `alias`. */
  knownHostsLine: string;
  alias: string;
  /** The sender's own address (`ssh -b`), which the receiver's `from=` names. */
  bind: string;
  /** Where the sender reads the verified artifact. */
  source: string;
  connectTimeoutS: number;
  timeoutS: number;
}

/**
 * The relay, run on the sender: the receiver's pinned key written for this relay only, then ssh with no config file
 * but these options (strict host key, no agent, no prompt), bounded by `timeout`, the artifact on its stdin.
 */
export function relayScript(id: string, to: RelayTarget): string {
  const dir = `"$HOME"/${shellQuote(`.${markerPrefix}${id}`)}`;
  const known = `${dir}/${shellQuote(`known_hosts.${to.alias}`)}`;
  const options = [
    'StrictHostKeyChecking=yes',
    'BatchMode=yes',
    'IdentitiesOnly=yes',
    'IdentityAgent=none',
    'GlobalKnownHostsFile=/dev/null',
    `HostKeyAlias=${to.alias}`,
    `ConnectTimeout=${to.connectTimeoutS}`,
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    'ClearAllForwardings=yes',
    'LogLevel=ERROR',
  ].map((o) => `-o ${shellQuote(o)}`);
  const ssh = [
    `timeout -k 5 ${to.timeoutS} ssh -F /dev/null -T`,
    `-i ${dir}/id_ed25519 -o UserKnownHostsFile=${known}`,
    ...options,
    `-b ${shellQuote(to.bind)} -p ${to.port} -l ${shellQuote(to.user)} ${shellQuote(to.address)}`,
    `< ${shellQuote(to.source)}`,
  ].join(' ');
  return ['set -e', 'umask 077', `printf '%s\\n' ${shellQuote(to.knownHostsLine)} > ${known}`, ssh].join('\n');
}

/** A relay's time limit: a minute to start, and at least 1 MB/s between hosts. */
export function relayTimeoutS(bytes: number): number {
  return 60 + Math.ceil(bytes / 1_000_000);
}
