// Preloaded into a measured Convoy process by scripts/bench-fanout.ts: at exit, its own I/O counters
// (/proc/self/io: wchar counts bytes handed to write(), which is how Node sends on TCP sockets) go to a file.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.CONVOY_IO_FILE;
if (out) process.on('exit', () => writeFileSync(out, readFileSync('/proc/self/io', 'utf8')));
