// The floor: bare SSH connect + auth to every host from one Node.js process, with Convoy's own pool (host keys
// checked), and nothing run. What any Node.js tool pays before doing work; Convoy's figures sit on top of it.
import { loadInventory, resolveTarget } from '../../src/inventory/index.ts';
import { KnownHostsStore } from '../../src/ssh/known-hosts-store.ts';
import { ConnectionPool } from '../../src/ssh/pool.ts';

export async function connectFloorMs(inventoryFile: string, homeDir: string): Promise<number> {
  const hosts = resolveTarget(loadInventory(inventoryFile, { homeDir }), 'all');
  const pool = new ConnectionPool({
    knownHosts: new KnownHostsStore(),
    acceptNewHostKeys: false,
    connectTimeoutMs: 30_000,
    serverAliveIntervalMs: 15_000,
    homeDir,
  });
  const started = performance.now();
  try {
    await Promise.all(hosts.map((h) => pool.get(h)));
    return performance.now() - started;
  } finally {
    await pool.closeAll();
  }
}
