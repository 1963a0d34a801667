// The real side of ssh config evaluation: files, glob(3) for Include, and `Match exec` through /bin/sh.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { matchPattern } from './ssh-config-lines.ts';
import type { SshConfigIo } from './ssh-config-eval.ts';

// undefined when the file does not exist (a missing Include target is skipped, as by OpenSSH).
export function readTextFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

// Absolute pattern → existing paths, sorted; `*` and `?` in any component (no `**`, as glob(3)). Node 20 has no
// fs.glob, and this is the only glob Convoy needs.
export function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter((p) => p !== '');
  let found = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(dir, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      // As the shell: a wildcard does not match a leading dot.
      for (const name of names.sort())
        if (!name.startsWith('.') && matchPattern(name, part)) next.push(path.join(dir, name));
    }
    found = next;
  }
  return found.filter((f) => existsSync(f)).sort();
}

// `Match exec`: the command through /bin/sh as OpenSSH runs it, stdio to /dev/null; it matches when it exits 0.
export function runMatchExec(command: string): boolean {
  const result = spawnSync('/bin/sh', ['-c', command], { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}

// The io for a real machine; `exec` only when Match exec commands may run (when connecting, not when listing).
export function fileSystemIo(homeDir: string, localUser: string, runExec: boolean): SshConfigIo {
  return { homeDir, localUser, read: readTextFile, glob: globFiles, exec: runExec ? runMatchExec : undefined };
}
