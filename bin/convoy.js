#!/usr/bin/env -S node --max-semi-space-size=4
// The `convoy` binary: runs the compiled CLI and exits with the code it returns (src/cli/main.ts maps errors).
// A small young generation: output streamed from many hosts at once (exec, logs -f) makes short-lived buffers fast,
// and V8's default lets them pile up to ~100 MB before collecting them (175 MB peak against 139 MB with this, for 50
// hosts printing 50 MB each; ordinary commands are not slower). See `npm run bench -- --only output`.
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
