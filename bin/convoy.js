#!/usr/bin/env node
// The `convoy` binary: runs the compiled CLI and exits with the code it returns (src/cli/main.ts maps errors).
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
