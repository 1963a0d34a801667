// The run journal on this machine (docs/command-line.md, "convoy runs"): `<project>/.convoy/runs/<run>.json`, one
// file per multi-host run, the newest 50 kept. A command calls begin (its hosts, all pending), finished as each host
// ends and the CLI calls end; each write replaces the file atomically, so a run killed outright leaves a record
// whose unfinished hosts read as never reached.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostOutcome, HostStatus } from '../orchestration/run-on-hosts.ts';
import type { JournalHost, JournalRun } from '../orchestration/journal.ts';
import { journalsToPrune, parseJournal } from '../orchestration/journal.ts';

/** Runs kept in the journal; older files are deleted as a new run begins. */
export const journalKeep = 50;

// Step changes are written at most this often (an outcome is written at once): enough to say where a killed run was.
const stepWriteIntervalMs = 250;

/** The journal's directory in a project. */
export function journalDir(projectDir: string): string {
  return path.join(projectDir, '.convoy', 'runs');
}

export interface JournalStart {
  command: string;
  target: string;
  /** The hosts the run may touch: names, or host and app for deploy and rollback. */
  hosts: readonly (string | { host: string; app: string })[];
  releaseTime?: Date | undefined;
  digests?: Record<string, string> | undefined;
}

export interface JournalSettings {
  projectDir: string;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  retryOf?: string | undefined;
  /** Where a journal that cannot be written is reported: the run goes on without it. */
  warn: (text: string) => void;
  keep?: number;
}

/** Journals with outcomes not written yet; one `exit` listener writes them, whatever ends the process. */
const unwritten = new Set<RunJournal>();
let exitListener = false;

function writeBeforeExit(journal: RunJournal): void {
  unwritten.add(journal);
  if (exitListener) return;
  exitListener = true;
  process.on('exit', () => {
    for (const j of unwritten) j.flush();
  });
}

/** One run's record, written as the run goes. Nothing is written before `begin`: bad input leaves no record. */
export class RunJournal {
  /** The run's id, also its lock token (`run` in the hosts' deploy records). */
  readonly id = randomBytes(8).toString('hex');
  private record: JournalRun | undefined;
  private lastWrite = 0;
  private broken = false;
  private pendingWrite: NodeJS.Immediate | undefined;

  constructor(private readonly settings: JournalSettings) {}

  begin(start: JournalStart): void {
    const { env, argv, retryOf } = this.settings;
    this.record = {
      version: 1,
      id: this.id,
      command: start.command,
      argv: [...argv],
      target: start.target,
      by: `${env.CONVOY_USER || os.userInfo().username}@${os.hostname()}`,
      startedAt: new Date().toISOString(),
      ...(retryOf === undefined ? {} : { retryOf }),
      ...(start.releaseTime ? { releaseTime: start.releaseTime.toISOString() } : {}),
      ...(start.digests ? { digests: start.digests } : {}),
      hosts: start.hosts.map((h) => (typeof h === 'string' ? { host: h } : h)).map((h) => ({ ...h, state: 'pending' })),
    };
    this.write();
    this.prune();
  }

  /** The step a host is in now; written with the next outcome, or within a quarter second. */
  step(host: string, phase: string, app?: string): void {
    for (const entry of this.entries(host, app)) entry.phase = phase;
    if (Date.now() - this.lastWrite >= stepWriteIntervalMs) this.write();
  }

  finished(host: string, state: HostStatus, more: { app?: string; detail?: string; release?: string } = {}): void {
    for (const entry of this.entries(host, more.app)) {
      entry.state = state;
      if (more.detail !== undefined) entry.detail = more.detail;
      if (more.release !== undefined) entry.release = more.release;
    }
    this.writeSoon();
  }

  /**
   * Outcomes decided in the same turn of the event loop (50 unchanged hosts end together) are written once, right
   * after it: one file write instead of one per host, and a kill in between loses at most that turn's outcomes.
   */
  private writeSoon(): void {
    if (this.pendingWrite) return;
    this.pendingWrite = setImmediate(() => {
      this.pendingWrite = undefined;
      this.write();
    });
    writeBeforeExit(this);
  }

  /** Writes outcomes still waiting for the end of the turn (the process is exiting: a second Ctrl-C). */
  flush(): void {
    if (this.pendingWrite) this.write();
  }

  /** The run ended with this exit code (an error included); hosts still pending were never reached. */
  end(exitCode: number): void {
    if (!this.record || this.record.endedAt !== undefined) return;
    this.record.endedAt = new Date().toISOString();
    this.record.exitCode = exitCode;
    this.write();
  }

  private entries(host: string, app: string | undefined): JournalHost[] {
    return (this.record?.hosts ?? []).filter((h) => h.host === host && (app === undefined || h.app === app));
  }

  /** tmp + rename: a reader (or a run killed mid-write) sees the old record or the new one, never half of one. */
  private write(): void {
    if (this.pendingWrite) clearImmediate(this.pendingWrite);
    this.pendingWrite = undefined;
    unwritten.delete(this);
    if (!this.record || this.broken) return;
    const dir = journalDir(this.settings.projectDir);
    const file = path.join(dir, `${this.id}.json`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(`${file}.tmp`, `${JSON.stringify(this.record)}\n`, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      this.lastWrite = Date.now();
    } catch (error) {
      this.broken = true;
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      this.settings.warn(
        `convoy: warning: the run journal ${dir} cannot be written (${why}): this run cannot be retried`,
      );
    }
  }

  private prune(): void {
    const dir = journalDir(this.settings.projectDir);
    try {
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((name) => ({ name, mtimeMs: statSync(path.join(dir, name)).mtimeMs }));
      for (const name of journalsToPrune(files, this.settings.keep ?? journalKeep)) unlinkSync(path.join(dir, name));
    } catch {
      // Pruning is housekeeping: a file removed by another run meanwhile is no reason to fail this one.
    }
  }
}

/** Every run recorded in the project (files that are not runs are passed over). */
export function readJournal(projectDir: string): JournalRun[] {
  const dir = journalDir(projectDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const run = parseJournal(readFileSync(path.join(dir, name), 'utf8'));
      return run ? [run] : [];
    } catch {
      return [];
    }
  });
}

/** runOnHosts' `onOutcome` that records each host's end (none without a journal). */
export function journalOutcomes(
  journal: RunJournal | undefined,
  which: (o: HostOutcome<unknown>) => boolean = () => true,
): ((o: HostOutcome<unknown>) => void) | undefined {
  if (!journal) return undefined;
  return (o) => {
    if (which(o)) journal.finished(o.host, o.status, o.error ? { detail: o.error.message } : {});
  };
}

/** A retry, as the command it runs again sees it: the hosts to redo and what the first run fixed. */
export interface RetryPlan {
  /** The run retried. */
  of: string;
  hosts: ReadonlySet<string>;
  /** Deploy: the first run's release time, so that the hosts get the release the others got. */
  releaseTime?: Date | undefined;
  /** Deploy: each app's artifact digest in the first run. */
  digests?: Record<string, string> | undefined;
}
