// The shaped uplink (`npm run bench -- --uplink 100mbit`): the bench runs again inside a network namespace of its own,
// where `lo` carries everything, and `tc` shapes what leaves the controller's source address, so that a deploy pays
// for bandwidth as it does from a laptop or a CI runner while traffic between hosts stays free.
//
// Why tc by hand and no library: shaping is three `tc` lines (an htb qdisc, one class, one u32 filter); npm has no
// well-kept wrapper worth a dependency for that, and `netem` (latency, loss) is not available on this kernel.
import { spawnSync } from 'node:child_process';
import net from 'node:net';

/** Convoy connects from this address (`--bind-address`): the filter matches it, and nothing else leaves from it. */
export const controllerAddress = '127.0.0.2';
/** Set in the re-run's environment: the bench is inside its namespace, shaping is on. */
export const namespaceMarker = 'CONVOY_BENCH_NETNS';

/** An uplink rate as tc writes it (`100mbit`, `1.5gbit`, `512kbit`), and its bits per second. */
export interface UplinkRate {
  tc: string;
  bitsPerSecond: number;
}

const units: Record<string, number> = { kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** `100mbit` → 100 000 000 bit/s; undefined for anything tc would read otherwise (bytes, bare numbers). */
export function parseUplinkRate(raw: string): UplinkRate | undefined {
  const m = /^(\d+(?:\.\d+)?)(kbit|mbit|gbit)$/i.exec(raw.trim());
  if (!m) return undefined;
  const bitsPerSecond = Number(m[1]) * (units[m[2]!.toLowerCase()] ?? NaN);
  if (!(bitsPerSecond >= 1e5 && bitsPerSecond <= 1e11)) return undefined;
  return { tc: `${m[1]}${m[2]!.toLowerCase()}`, bitsPerSecond };
}

/**
 * The tc commands, in order: an htb root whose default class (everything unmatched: host to host, and every reply
 * or download towards the controller) runs at 100 Gbit/s, i.e. unshaped; one class at the uplink rate; a u32 filter
 * that sends exactly the packets whose source is the controller's address into it. On lo a packet from the
 * controller to a host leaves with src 127.0.0.2 (the upload's data), the host's ACKs and answers with src
 * 127.0.9.x: only the controller→hosts direction is shaped. The burst is four 64 KiB loopback packets (GSO), so a
 * packet is never larger than a class may send at once.
 */
export function shapingCommands(rate: UplinkRate, device = 'lo'): string[][] {
  const burst = ['burst', '256k', 'cburst', '256k'];
  return [
    ['qdisc', 'add', 'dev', device, 'root', 'handle', '1:', 'htb', 'default', '20', 'r2q', '1000'],
    [
      'class',
      'add',
      'dev',
      device,
      'parent',
      '1:',
      'classid',
      '1:10',
      'htb',
      'rate',
      rate.tc,
      'ceil',
      rate.tc,
      ...burst,
    ],
    ['class', 'add', 'dev', device, 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '100gbit', ...burst],
    [
      ...['filter', 'add', 'dev', device, 'parent', '1:', 'protocol', 'ip', 'prio', '1'],
      ...['u32', 'match', 'ip', 'src', `${controllerAddress}/32`, 'flowid', '1:10'],
    ],
  ];
}

/** The model, as the bench prints it above its table. */
export function describeModel(rate: UplinkRate): string[] {
  return [
    `uplink model: ${rate.tc} (${(rate.bitsPerSecond / 1e6).toFixed(1)} Mbit/s) from the controller (${controllerAddress}, convoy --bind-address) to all hosts together;`,
    "  tc htb class + u32 filter on src 127.0.0.2/32 on lo in the bench's own network namespace; host to host and",
    '  host to controller unshaped; no latency or loss modelled (no netem); loopback MTU 64 KiB; hosts share this',
    "  machine's cores (docs/benchmark.md)",
  ];
}

/**
 * Runs the bench again inside a new network namespace (`unshare --net`: it ends with its last process, also when the
 * bench fails or is killed, so nothing is left to remove) and returns its exit code.
 */
export function rerunInNamespace(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const r = spawnSync('unshare', ['--net', '--', process.execPath, ...process.execArgv, ...argv], {
    stdio: 'inherit',
    env: { ...env, [namespaceMarker]: '1' },
  });
  if (r.error)
    throw new Error(`bench --uplink: cannot run unshare --net (root and util-linux needed): ${r.error.message}`);
  return r.status ?? 1;
}

function tc(args: readonly string[]): void {
  const r = spawnSync('tc', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tc ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** Inside the namespace: lo up (a new namespace has it down), then the shaping. */
export function shapeUplink(rate: UplinkRate): void {
  const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`ip link set lo up failed: ${up.stderr.trim()}`);
  for (const args of shapingCommands(rate)) tc(args);
}

/** Bytes the uplink class has carried so far (tc -s), to tell how much a run pushed through it. */
export function uplinkBytes(): number {
  const out = spawnSync('tc', ['-s', 'class', 'show', 'dev', 'lo', 'classid', '1:10'], { encoding: 'utf8' }).stdout;
  const m = /Sent (\d+) bytes/.exec(out);
  return m ? Number(m[1]) : NaN;
}

/** Milliseconds to send `bytes` over TCP from `from` to a listener on `to` (until the listener has them all). */
export function timedTransfer(from: string, to: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let started = 0;
    const server = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= bytes) {
          const ms = performance.now() - started;
          socket.destroy();
          server.close();
          resolve(ms);
        }
      });
    });
    server.on('error', reject);
    server.listen(0, to, () => {
      const { port } = server.address() as net.AddressInfo;
      started = performance.now();
      const client = net.connect({ host: to, port, localAddress: from }, () => client.end(Buffer.alloc(bytes)));
      client.on('error', reject);
    });
  });
}

/** The best of `tries` transfers: the machine's load only ever makes one slower. */
async function bestTransfer(from: string, to: string, bytes: number, tries = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < tries; i++) best = Math.min(best, await timedTransfer(from, to, bytes));
  return best;
}

/**
 * The check that the shaping is real, run before the fleet loads the machine: 20 MB from the controller takes what
 * the rate says, host to host does not. Faster than the rate allows means no shaping: the bench stops. Slower, or
 * host to host not clearly faster, means this machine's CPU is the bound (it is shared): said, not fatal.
 */
export async function verifyShaping(rate: UplinkRate, hostAddress: string, peerAddress: string): Promise<string[]> {
  const bytes = 20 * 1_000_000;
  const expectedMs = (bytes * 8 * 1000) / rate.bitsPerSecond;
  const shaped = await bestTransfer(controllerAddress, hostAddress, bytes, 1);
  const free = await bestTransfer(peerAddress, hostAddress, bytes);
  const mbit = (ms: number) => ((bytes * 8) / (ms / 1000) / 1e6).toFixed(1);
  const lines = [
    `  check: 20 MB ${controllerAddress} → ${hostAddress}: ${(shaped / 1000).toFixed(2)} s (${mbit(shaped)} Mbit/s; the rate alone: ${(expectedMs / 1000).toFixed(2)} s);` +
      ` ${peerAddress} → ${hostAddress} (host to host, best of 3): ${(free / 1000).toFixed(2)} s (${mbit(free)} Mbit/s)`,
  ];
  if (shaped < expectedMs * 0.8)
    throw new Error(`bench --uplink: faster than the uplink allows, the shaping is not in place:\n${lines.join('\n')}`);
  if (shaped > expectedMs * 1.25 || free * 2 > shaped)
    lines.push('  WARNING: this machine is too busy to tell shaping from CPU: figures below are bound by the CPU too');
  return lines;
}
