// Task files imported natively, from a bundle esbuild made of each (its local imports inside, packages left to Node),
// cached beside the project's packages. tsx's loader hooks run in a thread of their own that every run had to start
// and wait for before importing a single task file: ~0.28 s of each run's start, measured, on a warm cache. A file
// whose meaning would change in a bundle (it looks at its own location, imports at run time, or is CommonJS) is left
// to tsx, and so is one esbuild cannot build: tsx then says what is wrong, as before.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isBuiltin } from 'node:module';
import type { Metafile, Plugin } from 'esbuild';

/** What a bundle was made from, and whether it could be (`tsx`: the file is tsx's to load). */
interface Manifest {
  version: number;
  inputs: { file: string; sha256: string }[];
  /** The packages' files the bundle imports by path: one gone (moved by an install) makes it again. */
  packages: string[];
  tsx: boolean;
}

/** Bumped when what is written changes, so that an older bundle is never imported. */
const manifestVersion = 2;

/**
 * What a bundle would change: `import.meta` and `__dirname`/`__filename` (the bundle's location, not the file's),
 * `import(…)` and `require(…)` at run time (resolved from the bundle's directory), and CommonJS exports.
 */
const locationOrRuntimeImport =
  /\bimport\.meta\b|\b__dirname\b|\b__filename\b|\brequire\s*\(|\bimport\s*\(|\bmodule\.exports\b|\bexports\.\w/;

const typeScriptFile = /\.(?:[cm]?ts|tsx)$/;

export function needsTsx(source: string): boolean {
  return locationOrRuntimeImport.test(source);
}

/** `<nearest node_modules above dir>/.cache/convoy/tasks`: packages resolve from there as from the task file. */
export function bundleDirFor(dir: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const modules = path.join(at, 'node_modules');
    if (existsSync(modules)) return path.join(modules, '.cache', 'convoy', 'tasks');
    if (path.dirname(at) === at) return undefined;
  }
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

async function unchanged(manifest: Manifest): Promise<boolean> {
  if (!manifest.packages.every((file) => existsSync(file))) return false;
  for (const input of manifest.inputs) {
    const now = await readFile(input.file).catch(() => undefined);
    if (!now || sha256(now) !== input.sha256) return false;
  }
  return true;
}

/**
 * The module namespace of `file` (absolute), imported from its bundle (made now if its inputs changed); undefined
 * when tsx must load it. `load` makes each load of the same file in one process a fresh module.
 */
export async function importBundled(file: string, load: number): Promise<Record<string, unknown> | undefined> {
  const bundled = await bundleOf(file).catch(() => undefined);
  if (!bundled) return undefined;
  // Outside the catch: what the task file itself throws is its load's problem, not a reason to load it twice.
  return (await import(`${pathToFileURL(bundled).href}?load=${load}`)) as Record<string, unknown>;
}

/** The bundle's path, made again if an input changed; undefined where tsx loads the file (or nothing can be written). */
async function bundleOf(file: string): Promise<string | undefined> {
  const dir = bundleDirFor(path.dirname(file));
  if (!dir) return undefined;
  const base = path.join(dir, sha256(file).slice(0, 24));
  const manifest = await readManifest(`${base}.json`);
  const current = manifest && (await unchanged(manifest)) ? manifest : await bundle(file, base);
  return current && !current.tsx ? `${base}.mjs` : undefined;
}

async function readManifest(file: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    return manifest.version === manifestVersion ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Packages stay outside the bundle, imported by the path they resolve to from the task file (a bundle elsewhere would
 * resolve them from its own place: a package's own tasks importing it by name would not find it).
 */
const packagesByPath: Plugin = {
  name: 'convoy-packages-by-path',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (isBuiltin(args.path) || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
      const { kind, resolveDir, importer } = args;
      const found = await build.resolve(args.path, { kind, resolveDir, importer, pluginData: { inner: true } });
      if (found.errors.length > 0 || !path.isAbsolute(found.path)) return { path: args.path, external: true };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/** Builds `<base>.mjs` and its manifest; undefined where esbuild cannot (tsx will say why). */
async function bundle(file: string, base: string): Promise<Manifest | undefined> {
  // Imported here: esbuild's service starts only when a task file changed.
  const { build } = await import('esbuild');
  let result;
  try {
    result = await build({
      entryPoints: [file],
      absWorkingDir: path.dirname(file),
      bundle: true,
      plugins: [packagesByPath],
      // Node's own resolution: the `import`, `node` and `default` conditions, `main` only.
      conditions: [],
      mainFields: ['main'],
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      sourcemap: 'inline',
    });
  } catch {
    return undefined;
  }
  const inputs = await Promise.all(
    Object.keys(result.metafile.inputs).map(async (input) => {
      const abs = path.resolve(path.dirname(file), input);
      const text = await readFile(abs);
      return { file: abs, sha256: sha256(text), tsx: needsTsx(text.toString('utf8')) };
    }),
  );
  const packages = externalFiles(result.metafile);
  const manifest: Manifest = {
    version: manifestVersion,
    inputs: inputs.map(({ file: f, sha256: s }) => ({ file: f, sha256: s })),
    packages,
    // A package whose entry is TypeScript (a workspace's own, say) is for tsx to compile: Node.js 20 cannot import it.
    tsx: inputs.some((i) => i.tsx) || packages.some((file) => typeScriptFile.test(file)),
  };
  await mkdir(path.dirname(base), { recursive: true });
  // Written under new names and renamed: a run reading the cache meanwhile sees the old pair or the new one.
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  await writeFile(`${base}.mjs.${process.pid}`, code);
  await rename(`${base}.mjs.${process.pid}`, `${base}.mjs`);
  await writeFile(`${base}.json.${process.pid}`, JSON.stringify(manifest));
  await rename(`${base}.json.${process.pid}`, `${base}.json`);
  return manifest;
}

/** The files of packages a bundle imports by path (file: URLs in its output's imports). */
function externalFiles(metafile: Metafile): string[] {
  const imports = Object.values(metafile.outputs).flatMap((o) => o.imports);
  return imports.filter((i) => i.external && i.path.startsWith('file:')).map((i) => fileURLToPath(i.path));
}
