// Staging a release on one host (docs/deploy.md, "Stage"): upload only what the host lacks, verify it, unpack it
// into releases/<id>.partial with the shared links and rendered templates (src/deploy/release-files.ts), rename it,
// then run afterUpload in releases/<id>. Nothing live changes; a failure removes what it half-wrote and says when the
// host's disk is full.
import { RemoteStepError } from '../host/errors.ts';
import type { HostSession } from '../host/session.ts';
import { shellQuote } from '../shell/quote.ts';
import { formatBytes } from '../units/bytes.ts';
import type { PreparedArtifact, WholeFile } from './artifact.ts';
import { unpackCommand } from './artifact.ts';
import { stagingMarker } from './releases.ts';
import type { ReleaseFiles } from './release-files.ts';
import { hasReleaseFiles, placeReleaseFilesScript, sharedCheckScript } from './release-files.ts';
import { hookCommand } from './hooks.ts';
import { incomingPaths, objectsDir } from './delta.ts';
import { deltaTree, sendMissingObjects } from './delta-stage.ts';
import type { DeployAppSpec } from './app-spec.ts';
import type { Fanout } from './fanout.ts';
import type { AppPaths } from './remote-state.ts';
import { parseVerifyAndStore, verifyAndStoreScript } from './merged-steps.ts';

export type StepReporter = (step: string, detail?: string) => void;

/** What staging one release on one host needs. */
export interface StageJob {
  session: HostSession;
  app: DeployAppSpec;
  paths: AppPaths;
  artifact: PreparedArtifact;
  release: string;
  uploadBytes: number;
  /** Hosts uploading at once: they share one bounded upload window. */
  hostsAtOnce: number;
  report: StepReporter;
  /** Shared paths to link and templates to write into the release (src/deploy/release-files.ts). */
  files?: ReleaseFiles | undefined;
  /** Free bytes in the cache directory, read (and the directories made) with the lock: no round trip to prepare. */
  freeBytes?: number | undefined;
  /** Send a directory artifact as its whole tar, never as store objects (a fan-out deploy relays one file). */
  wholeArtifact?: boolean | undefined;
  /** Fan-out uploads for this deploy (absent: from this machine, as always). */
  fanout?: Fanout | undefined;
}

/** Where a release is staged: unpacked into `partial`, renamed to `final`; `marker` while afterUpload runs there. */
interface StagePaths {
  cached: string;
  partial: string;
  final: string;
  marker: string;
}

/** Stages the release; resolves with the bytes this host was sent. */
export async function stageRelease(job: StageJob): Promise<number> {
  const { releasesDir, cacheDir } = job.paths;
  const where: StagePaths = {
    cached: `${cacheDir}/${job.artifact.cacheName}`,
    partial: `${releasesDir}/${job.release}.partial`,
    final: `${releasesDir}/${job.release}`,
    marker: `${releasesDir}/${stagingMarker(job.release)}`,
  };
  try {
    // Directory artifacts go as the store objects the host lacks (src/deploy/delta-stage.ts), the rest whole.
    const tree = deltaTree(job.artifact, job.uploadBytes, job.wholeArtifact);
    if (tree) {
      const delta = await sendMissingObjects({ ...job, tree, root: job.app.root, partial: where.partial });
      await unpack(job, where, delta.script);
      return delta.sentBytes;
    }
    const sent = job.uploadBytes > 0 ? await upload(job, where.cached) : 0;
    await unpack(job, where, unpackCommand(job.artifact.kind, where.cached, where.partial, job.artifact.source));
    return sent;
  } catch (error) {
    if (job.session.lost) throw error;
    // Measured before the cleanup, which frees the space again.
    const explained = await explainFullDisk(job, error);
    const q = shellQuote;
    const unfinished = `if [ -e ${q(where.marker)} ]; then rm -rf ${q(where.final)} ${q(where.marker)}; fi`;
    const incoming = incomingPaths(objectsDir(job.app.root), job.release);
    const cleanup = `rm -f ${q(`${where.cached}.partial`)}; rm -rf ${q(where.partial)} ${q(incoming.dir)} ${q(incoming.tar)}; ${unfinished}`;
    await job.session.script('clean up the stage', cleanup).catch(() => undefined);
    throw explained;
  }
}

/** Sends the whole artifact (or has a relay send it) and stores it verified; the bytes it is. */
async function upload(job: StageJob, cached: string): Promise<number> {
  const { session, paths } = job;
  const whole = await job.artifact.wholeFile();
  const free = job.freeBytes ?? (await prepareUpload(session, paths));
  if (free !== undefined && free < whole.bytes) {
    throw new RemoteStepError(session.name, 'upload', undefined, noSpace(paths.cacheDir, free, whole.bytes));
  }
  const put = () => session.put(whole.localPath, `${cached}.partial`, { hostsAtOnce: job.hostsAtOnce });
  // Verified and stored in one round trip (merged-steps.ts): `store` has nothing left to do.
  const steps = { put, verify: () => verifyAndStore(job, cached, whole), store: () => Promise.resolve() };
  // Fan-out (src/deploy/fanout.ts): this host's artifact may come from a relay; it verifies and stores it the same.
  if (job.fanout) {
    const size = formatBytes(whole.bytes);
    await job.fanout.fetch(session, { ...steps, partial: `${cached}.partial`, cached, size, report: job.report });
    return whole.bytes;
  }
  job.report('upload', formatBytes(whole.bytes));
  await put();
  await steps.verify();
  return whole.bytes;
}

/**
 * The sha256 checked and the file renamed into the cache with its mode stated (SFTP, or a relay's `cat`, creates it
 * with the server's umask); the digest is found by its marker line, not as "the first word": a login shell's rc files
 * may print before it.
 */
async function verifyAndStore(job: StageJob, cached: string, whole: WholeFile): Promise<void> {
  const { session } = job;
  const said = parseVerifyAndStore(
    await session.run('verify upload', verifyAndStoreScript(`${cached}.partial`, cached, whole.fileSha256)),
  );
  if (!said.stored) {
    const detail = `sha256 ${said.sha256} on the host, ${whole.fileSha256} here`;
    throw new RemoteStepError(session.name, 'verify upload', undefined, detail);
  }
}

/** Makes the upload's directories and reads their free space, where the lock step did not. */
async function prepareUpload(session: HostSession, paths: AppPaths): Promise<number | undefined> {
  const dirs = `${shellQuote(paths.cacheDir)} ${shellQuote(paths.releasesDir)}`;
  const df = await session.run(
    'prepare upload',
    `mkdir -p ${dirs} && df -Pk ${shellQuote(paths.cacheDir)} | tail -n 1`,
  );
  return freeBytes(df);
}

/**
 * Unpacks into `<id>.partial`, then renames it to `<id>`. afterUpload runs after the rename, in the path the release
 * keeps (a Python venv's scripts and some build tools record absolute paths), with a staging marker beside it until
 * the hook succeeds: a stage cut off mid-hook is never reused, and the next prune removes it.
 */
async function unpack(job: StageJob, where: StagePaths, content: string): Promise<void> {
  const { session, paths, app, release } = job;
  const q = shellQuote;
  job.report('unpack', release);
  // A stage of the same id cut off in its hook (a rerun within the same second) leaves `<id>` and its marker.
  const unfinished = `if [ -e ${q(where.marker)} ]; then rm -rf ${q(where.final)} ${q(where.marker)}; fi`;
  const fresh = `set -e; mkdir -p ${q(paths.releasesDir)}; ${unfinished}; rm -rf ${q(where.partial)}; mkdir ${q(where.partial)}`;
  // Shared paths and templates in the same round trip: missing shared files first (nothing unpacked), links and
  // rendered files last, in the `.partial` directory that becomes the release.
  const files = hasReleaseFiles(job.files) ? job.files : undefined;
  const check = files ? `set -e\n${sharedCheckScript(app.root, files.shared)}\n` : '';
  const place = files ? `\n${placeReleaseFilesScript(where.partial, files)}` : '';
  const hook = app.hooks.afterUpload;
  const mark = hook ? `: > ${q(where.marker)} && ` : '';
  // The rename in the same round trip: `set -e` (in `fresh`) stops before it when anything above failed.
  const finish = `\n${mark}mv -T ${q(where.partial)} ${q(where.final)}`;
  await session.run('unpack', `${check}${fresh}\n${content}${place}${finish}`);
  if (!hook) return;
  job.report('afterUpload', hook);
  await session.run('afterUpload hook', `${hookCommand(app, hook, where.final, release)}\nrm -f ${q(where.marker)}`);
}

/** SFTP reports a full disk as a bare "Failure", tar as a short write: look at the free space before passing it on. */
async function explainFullDisk(job: StageJob, error: unknown): Promise<unknown> {
  if (!(error instanceof RemoteStepError) || /No space left|ENOSPC/.test(error.message)) return error;
  const df = await job.session
    .script('free space', `df -Pk ${shellQuote(job.app.root)} | tail -n 1`)
    .catch(() => undefined);
  const free = df?.code === 0 ? freeBytes(df.stdout) : undefined;
  // Under 1 MiB left (or less than the upload) counts as full: ENOSPC leaves a few blocks at most.
  if (free === undefined || free >= Math.max(job.artifact.bytes, 1024 * 1024)) return error;
  return new RemoteStepError(error.host, error.step, error.result, `${noSpace(job.app.root, free)} (${error.detail})`);
}

/** Available bytes from the last line of `df -Pk`, or undefined when it cannot be read. */
function freeBytes(dfLine: string): number | undefined {
  const kb = Number(dfLine.trim().split(/\s+/)[3]);
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

function noSpace(dir: string, free: number, needed?: number): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const wanted = needed === undefined ? '' : `, ${mb(needed)} needed`;
  return `No space left on device (ENOSPC): ${dir} has ${mb(free)} free${wanted}; free space there (or move the app's root) and deploy again`;
}
