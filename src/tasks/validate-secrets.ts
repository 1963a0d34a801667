// The app's `secrets` (docs/tasks.md, "secrets"): names, each with where its value comes from on the deploying
// machine. Only the sources are checked here; values are read once per run by src/secrets/resolve.ts.
import type { SecretSourceSpec } from './define.ts';
import type { NormalisedSecret } from './normalised.ts';
import type { Checker } from './shape.ts';
import { join } from './shape.ts';

const sourceKinds = ['env', 'file', 'command'] as const;

// The names programs see in their environment: what a POSIX shell accepts as a variable name.
const secretName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateSecrets(c: Checker, value: unknown, hasPrograms: boolean): NormalisedSecret[] {
  const specs = c.record(value, 'secrets');
  if (!specs) return [];
  if (!hasPrograms && Object.keys(specs).length > 0)
    c.report('secrets', "reach the programs of 'programs' only (a confFiles section gets none): declare a program");
  const secrets: NormalisedSecret[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const path = join('secrets', name);
    if (!secretName.test(name)) {
      c.report(path, `'${name}' is not a variable name (expected letters, digits and _, not starting with a digit)`);
      continue;
    }
    const source = validateSource(c, spec, path);
    if (source) secrets.push({ name, source });
  }
  return secrets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One source, `{ env }`, `{ file }` or `{ command }` (also what an app's `notify` may give instead of a URL). */
export function validateSource(c: Checker, value: unknown, path: string): SecretSourceSpec | undefined {
  const spec = c.object(value, path, sourceKinds);
  if (!spec) return undefined;
  const given = sourceKinds.filter((k) => spec[k] !== undefined);
  if (given.length !== 1) {
    const found = given.length === 0 ? 'none' : given.join(' and ');
    return c.report(path, `expected exactly one of env, file or command, got ${found}`);
  }
  const kind = given[0] as (typeof sourceKinds)[number];
  const text = c.string(spec[kind], join(path, kind));
  if (text === undefined) return undefined;
  if (kind === 'env' && !secretName.test(text))
    return c.report(join(path, kind), `'${text}' is not an environment variable name`);
  return { [kind]: text } as SecretSourceSpec;
}
