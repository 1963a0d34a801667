// Timing and resource figures for the benchmark: wall time of a run, medians, and a Convoy run's own CPU and memory.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Usage {
  cpuMs: number;
  maxRssMb: number;
}

export interface Run {
  code: number;
  ms: number;
  stdout: string;
  usage?: Usage;
}

const usagePreload = path.join(import.meta.dirname, 'usage-preload.mjs');

/** Runs a command to completion; `measureUsage` (Node programs only) also records its CPU time and peak RSS. */
export function runTimed(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; measureUsage?: boolean; discardStdout?: boolean },
): Promise<Run> {
  const dir = options.measureUsage ? mkdtempSync(path.join(os.tmpdir(), 'convoy-bench-usage-')) : undefined;
  const usageFile = dir ? path.join(dir, 'usage.json') : undefined;
  // Through NODE_OPTIONS, so that a program run by its own shebang (bin/convoy.js, with its V8 flags) is measured.
  const preload = usageFile ? { NODE_OPTIONS: `--import=${usagePreload}`, CONVOY_BENCH_USAGE: usageFile } : {};
  const fullArgs = [...args];
  const env = { ...options.env, ...preload };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const out = options.discardStdout ? 'ignore' : 'pipe';
    const child = spawn(command, fullArgs, { cwd: options.cwd, env, stdio: ['ignore', out, 'ignore'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      let usage: Usage | undefined;
      if (usageFile && dir) {
        try {
          usage = JSON.parse(readFileSync(usageFile, 'utf8')) as Usage;
        } catch {
          usage = undefined;
        }
        rmSync(dir, { recursive: true, force: true });
      }
      resolve({ code: code ?? 1, ms, stdout, ...(usage ? { usage } : {}) });
    });
  });
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** "1.23 s" or "870 ms". */
export function seconds(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
