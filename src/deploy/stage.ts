// Staging a release on one host (docs/deploy.md, "Stage"): upload only what the host lacks, verify it, unpack it
// into releases/<id>.partial with the shared links and rendered templates (src/deploy/release-files.ts), rename it,
// then run afterUpload in releases/<id>. Nothing live changes; a failure removes what it half-wrote and says when the
// host's disk is full.
import { RemoteStepError } from '../host/errors.ts';
import type { HostSession } from '../host/session.ts';
import { shellQuote } from '../shell/quote.ts';
import { formatBytes } from '../units/bytes.ts';
import type { PreparedArtifact } from './artifact.ts';
import { unpackCommand } from './artifact.ts';
import { stagingMarker } from './releases.ts';
import type { ReleaseFiles } from './release-files.ts';
import { hasReleaseFiles, placeReleaseFilesScript, sharedCheckScript } from './release-files.ts';
import { hookCommand } from './hooks.ts';
import type { DeployAppSpec } from './app-spec.ts';
import type { Fanout } from './fanout.ts';
import type { AppPaths } from './remote-state.ts';

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

export async function stageRelease(job: StageJob): Promise<void> {
  const { releasesDir, cacheDir } = job.paths;
  const where: StagePaths = {
    cached: `${cacheDir}/${job.artifact.cacheName}`,
    partial: `${releasesDir}/${job.release}.partial`,
    final: `${releasesDir}/${job.release}`,
    marker: `${releasesDir}/${stagingMarker(job.release)}`,
  };
  try {
    if (job.uploadBytes > 0) await upload(job, where.cached);
    await unpack(job, where);
  } catch (error) {
    if (job.session.lost) throw error;
    // Measured before the cleanup, which frees the space again.
    const explained = await explainFullDisk(job, error);
    const q = shellQuote;
    const unfinished = `if [ -e ${q(where.marker)} ]; then rm -rf ${q(where.final)} ${q(where.marker)}; fi`;
    const cleanup = `rm -f ${q(`${where.cached}.partial`)}; rm -rf ${q(where.partial)}; ${unfinished}`;
    await job.session.script('clean up the stage', cleanup).catch(() => undefined);
    throw explained;
  }
}

async function upload(job: StageJob, cached: string): Promise<void> {
  const { session, paths, artifact } = job;
  const dirs = `${shellQuote(paths.cacheDir)} ${shellQuote(paths.releasesDir)}`;
  const df = await session.run(
    'prepare upload',
    `mkdir -p ${dirs} && df -Pk ${shellQuote(paths.cacheDir)} | tail -n 1`,
  );
  const free = freeBytes(df);
  if (free !== undefined && free < job.uploadBytes) {
    throw new RemoteStepError(session.name, 'upload', undefined, noSpace(paths.cacheDir, free, job.uploadBytes));
  }
  const put = () => session.put(artifact.localPath, `${cached}.partial`, { hostsAtOnce: job.hostsAtOnce });
  const steps = { put, verify: () => verifyUpload(job, cached), store: () => storeUpload(job, cached) };
  // Fan-out (src/deploy/fanout.ts): this host's artifact may come from a relay; it verifies and stores it the same.
  if (job.fanout) {
    const size = formatBytes(job.uploadBytes);
    await job.fanout.fetch(session, { ...steps, partial: `${cached}.partial`, cached, size, report: job.report });
    return;
  }
  job.report('upload', formatBytes(job.uploadBytes));
  await put();
  await steps.verify();
  await steps.store();
}

async function verifyUpload(job: StageJob, cached: string): Promise<void> {
  const { session, artifact } = job;
  const said = await session.run('verify upload', `sha256sum ${shellQuote(`${cached}.partial`)}`);
  // The digest is found by its shape, not as "the first word": a login shell's rc files may print before it.
  const sum = /^([0-9a-f]{64})\s/m.exec(said)?.[1];
  if (sum !== artifact.fileSha256) {
    const said = `sha256 ${sum} on the host, ${artifact.fileSha256} here`;
    throw new RemoteStepError(session.name, 'verify upload', undefined, said);
  }
}

/** SFTP (or a relay's `cat`) creates the file with the server's umask: state the mode. */
async function storeUpload(job: StageJob, cached: string): Promise<void> {
  const partial = shellQuote(`${cached}.partial`);
  await job.session.run('store upload', `chmod 0644 ${partial} && mv -f ${partial} ${shellQuote(cached)}`);
}

/**
 * Unpacks into `<id>.partial`, then renames it to `<id>`. afterUpload runs after the rename, in the path the release
 * keeps (a Python venv's scripts and some build tools record absolute paths), with a staging marker beside it until
 * the hook succeeds: a stage cut off mid-hook is never reused, and the next prune removes it.
 */
async function unpack(job: StageJob, where: StagePaths): Promise<void> {
  const { session, paths, artifact, app, release } = job;
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
  await session.run(
    'unpack',
    `${check}${fresh}; ${unpackCommand(artifact.kind, where.cached, where.partial, artifact.source)}${place}`,
  );
  const hook = app.hooks.afterUpload;
  const mark = hook ? `: > ${q(where.marker)} && ` : '';
  await session.run('finish stage', `${mark}mv -T ${q(where.partial)} ${q(where.final)}`);
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
