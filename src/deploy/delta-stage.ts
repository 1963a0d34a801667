// Delta uploads on one host (docs/deploy.md, "Delta uploads"): ask which store objects the host lacks (one round
// trip), send just those in one tar (one upload), and return the script that verifies them into the store and
// builds the release from hardlinks; stage.ts runs it in its unpack step (one round trip).
import { createHash } from 'node:crypto';
import { mkdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import { RemoteStepError } from '../host/errors.ts';
import type { HostSession } from '../host/session.ts';
import { stepScript } from '../shell/script.ts';
import { formatBytes } from '../units/bytes.ts';
import type { PreparedArtifact } from './artifact.ts';
import type { TreeEntry } from './delta.ts';
import {
  buildTreeScript,
  incomingPaths,
  missingObjectsScript,
  objectBytes,
  objectKey,
  objectsDir,
  parseMissing,
  storeObjectsScript,
  treeObjects,
} from './delta.ts';

type Tree = NonNullable<PreparedArtifact['tree']>;

/**
 * The tree to send as store objects, or undefined for the whole-file path: tar and single-file artifacts, a host
 * whose cache has the whole tar already, and a caller that passes the tar whole (a fan-out deploy relays one file).
 */
export function deltaTree(artifact: PreparedArtifact, uploadBytes: number, whole = false): Tree | undefined {
  return whole || uploadBytes === 0 ? undefined : artifact.tree;
}

export interface DeltaJob {
  session: HostSession;
  artifact: PreparedArtifact;
  tree: Tree;
  root: string;
  release: string;
  /** The `.partial` directory the release is built in. */
  partial: string;
  hostsAtOnce: number;
  report: (step: string, detail?: string) => void;
}

export interface DeltaStage {
  /** For the unpack step: verify the uploaded objects into the store, then build the release's tree from it. */
  script: string;
  /** What this host was sent: the object tar, the key list's script and the build script. */
  sentBytes: number;
}

/** The first two steps of a delta stage: which objects are missing, and their upload. */
export async function sendMissingObjects(job: DeltaJob): Promise<DeltaStage> {
  const { session, tree } = job;
  const store = objectsDir(job.root);
  const objects = treeObjects(tree.entries);
  const ask = missingObjectsScript(store, [...objects.keys()]);
  const { missing, free, python } = parseMissing(await session.run('delta: which objects', ask), objects);
  const needed = objectBytes(objects, missing);
  if (free !== undefined && free < needed) {
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const said = `No space left on device (ENOSPC): ${store} has ${mb(free)} free, ${mb(needed)} needed; free space there (or move the app's root) and deploy again`;
    throw new RemoteStepError(session.name, 'upload', undefined, said);
  }
  let tarBytes = 0;
  if (missing.length > 0) {
    const tar = await objectTar(job.artifact.source, tree, missing);
    tarBytes = tar.bytes;
    job.report('upload', formatBytes(tar.bytes));
    await session.put(tar.file, incomingPaths(store, job.release).tar, { hostsAtOnce: job.hostsAtOnce });
  }
  const script = `${storeObjectsScript(store, job.release, missing)}\n${buildTreeScript(store, job.partial, tree.entries, python)}`;
  const sentBytes = Buffer.byteLength(stepScript(ask)) + tarBytes + Buffer.byteLength(script);
  return { script, sentBytes };
}

/** Tars already built this run, by missing set: hosts that lack the same objects share one. */
const builtTars = new WeakMap<Tree, Map<string, Promise<{ file: string; bytes: number }>>>();

/**
 * A tar of the `missing` objects, each named by its key. node-tar packs them through a directory of symlinks named by
 * key (`follow`), so no content is copied on this machine.
 */
function objectTar(source: string, tree: Tree, missing: readonly string[]): Promise<{ file: string; bytes: number }> {
  const byTree = builtTars.get(tree) ?? new Map<string, Promise<{ file: string; bytes: number }>>();
  builtTars.set(tree, byTree);
  const id = createHash('sha256').update(missing.join('\n')).digest('hex').slice(0, 16);
  let built = byTree.get(id);
  if (!built) {
    built = packObjects(source, tree, missing, id);
    byTree.set(id, built);
  }
  return built;
}

async function packObjects(source: string, tree: Tree, missing: readonly string[], id: string) {
  const links = await objectLinks(source, tree);
  const file = path.join(tree.workDir, `objects-${id}.tar`);
  await createTar({ cwd: links, file, portable: true, follow: true, maxReadSize: 1024 * 1024 }, [...missing]);
  return { file, bytes: (await stat(file)).size };
}

const linkDirs = new WeakMap<Tree, Promise<string>>();

/** `<workDir>/objects/<key>` → the artifact's file with that content and mode, made once per run. */
function objectLinks(source: string, tree: Tree): Promise<string> {
  let made = linkDirs.get(tree);
  if (!made) {
    made = makeLinks(source, tree.workDir, tree.entries);
    linkDirs.set(tree, made);
  }
  return made;
}

async function makeLinks(source: string, workDir: string, entries: readonly TreeEntry[]): Promise<string> {
  const dir = path.join(workDir, 'objects');
  await mkdir(dir);
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.kind !== 'file') continue;
    const key = objectKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    await symlink(path.resolve(source, e.path), path.join(dir, key));
  }
  return dir;
}
