// Entry of the `--persist` process (started detached by a convoy run): `daemon-main <socket> <idle ms>`.
import { serveMux } from './daemon.ts';
import { preparePersistDir } from './trust.ts';

const [socketPath, idle] = process.argv.slice(2);
process.title = 'convoy-persist';
if (!socketPath || !Number.isFinite(Number(idle))) process.exit(2);
try {
  // The run that started it checked as much; the directory may have changed hands since.
  preparePersistDir(socketPath);
} catch {
  process.exit(2);
}
const server = serveMux(socketPath, Number(idle), () => process.exit(0), ['SIGTERM', 'SIGINT', 'SIGHUP']);
// Another run started a persist process on the same socket first: this one is not needed.
server.on('error', () => process.exit(0));
