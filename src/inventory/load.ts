// Entry points: read an inventory file (and ~/.ssh/config) and turn it into resolved hosts, or one ValidationError.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { normalise } from './normalise.ts';
import { defaultProgramTimeoutMs, isInventoryProgram, runInventoryProgram } from './program.ts';
import { scanInventory } from './parse.ts';
import { validationError } from './problems.ts';
import type { Problem } from './problems.ts';
import { resolveHosts } from './resolve.ts';
import { checkRules } from './rules.ts';
import { readSshConfig } from './ssh-config.ts';
import { fileSystemIo } from './ssh-config-io.ts';
import type { Inventory, InventoryOptions, ParseOptions } from './types.ts';

// Reads the inventory (or runs it: src/inventory/program.ts) and the ssh config from disk; a missing ssh config is
// normal, a missing inventory is not.
export function loadInventory(file: string, options: InventoryOptions = {}): Inventory {
  let text: string | undefined;
  try {
    text = isInventoryProgram(file)
      ? runInventoryProgram(file, file, options.programTimeoutMs ?? defaultProgramTimeoutMs)
      : readText(file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read inventory '${file}': ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) {
    throw new UsageError(
      `inventory '${file}' not found (pass -i <file>, or run 'convoy sandbox up' to create a sandbox fleet)`,
    );
  }
  const sshConfigFile = options.sshConfigFile ?? defaultSshConfigFile(options);
  let sshConfigText: string | undefined;
  try {
    sshConfigText = readText(sshConfigFile);
  } catch (error) {
    throw new UsageError(`cannot read ssh config '${sshConfigFile}': ${(error as Error).message}`, { cause: error });
  }
  const homeDir = options.homeDir ?? os.homedir();
  const localUser = options.localUser ?? os.userInfo().username;
  return parseInventory(text, file, {
    ...options,
    localUser,
    sshConfigFile,
    sshConfigText,
    systemSshConfigFile,
    sshConfigIo: fileSystemIo(homeDir, localUser, options.matchExec === true),
  });
}

// Pure: the text of an inventory (and of an ssh config) to resolved hosts; every problem is reported at once.
export function parseInventory(text: string, file: string, options: ParseOptions = {}): Inventory {
  const homeDir = options.homeDir ?? os.homedir();
  const defaultUser = options.defaultUser ?? (process.env.USER || 'root');
  const baseDir = path.dirname(path.resolve(file));
  const sshFile = options.sshConfigFile ?? defaultSshConfigFile({ homeDir });

  const raw = scanInventory(text, file);
  const { model, problems: shapeProblems } = normalise(raw.sections, file, { baseDir, homeDir });
  const { membership, problems: ruleProblems } = checkRules(model, file);
  const problems: Problem[] = [...raw.problems, ...shapeProblems, ...ruleProblems];

  // Pure: the local login is given, or taken to be the default user ($USER); loadInventory asks the system.
  const localUser = options.localUser ?? defaultUser;
  const ssh = readSshConfig(
    {
      file: sshFile,
      text: options.sshConfigText,
      systemFile: options.systemSshConfigFile,
      io: options.sshConfigIo,
    },
    homeDir,
    localUser,
  );
  const { hosts, problems: resolveProblems } = resolveHosts({
    file,
    model,
    membership,
    ssh,
    homeDir,
    defaultUser,
    localUser,
    bindAddress: options.bindAddress,
  });
  problems.push(...resolveProblems);
  if (problems.length > 0) throw validationError(file, problems);

  const groups = model.groups.map((g) => ({
    name: g.name,
    hosts: [...g.hosts],
    children: [...g.children],
    line: g.line,
  }));
  const persist = model.persistMs === undefined ? {} : { persistMs: model.persistMs };
  return { file, hosts, groups, ...(model.notify ? { notify: model.notify } : {}), ...persist };
}

// Read after the user's file, as ssh does; relative Includes in it are under /etc/ssh.
const systemSshConfigFile = '/etc/ssh/ssh_config';

function defaultSshConfigFile(options: InventoryOptions): string {
  return path.join(options.homeDir ?? os.homedir(), '.ssh', 'config');
}

// undefined when the file does not exist; other failures (a directory, no permission) throw.
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
