// Stage 3: every `{{var}}` must render on every host of the app's target, so a deploy never fails half-way for a
// variable that only some hosts define.
import { closest } from '../inventory/suggest.ts';
import type { SpecProblem, SpecString } from './shape.ts';
import { builtinVariables, templateNames } from './template-syntax.ts';

// What the check needs of a host: its inventory name and variables.
export interface HostVars {
  name: string;
  vars: Readonly<Record<string, string>>;
}

// One problem per templated string and variable that some host lacks.
export function checkVariables(strings: readonly SpecString[], hosts: readonly HostVars[]): SpecProblem[] {
  const builtins = new Set<string>(builtinVariables);
  const known = [...builtinVariables, ...new Set(hosts.flatMap((h) => Object.keys(h.vars)))];
  const problems: SpecProblem[] = [];
  for (const { path, text, template } of strings) {
    if (!template) continue;
    for (const name of templateNames(text)) {
      if (builtins.has(name)) continue;
      const missing = hosts.filter((h) => !Object.hasOwn(h.vars, name)).map((h) => h.name);
      if (missing.length === 0) continue;
      const defined = hosts.filter((h) => Object.hasOwn(h.vars, name)).map((h) => h.name);
      if (defined.length > 0) {
        problems.push({
          path,
          message: `{{${name}}} is not defined on ${hostList(missing)} (defined on ${listNames(defined)})`,
        });
      } else {
        const hint = closest(name, known);
        const suffix =
          hint === undefined ? ` (built-ins: ${builtinVariables.join(', ')})` : ` (did you mean {{${hint}}}?)`;
        problems.push({
          path,
          message: `{{${name}}} is not defined: not a built-in, and no host of the target has it${suffix}`,
        });
      }
    }
  }
  return problems;
}

function hostList(names: readonly string[]): string {
  return `${names.length === 1 ? 'host' : 'hosts'} ${listNames(names)}`;
}

// At most ten names, then how many more: a 50-host fleet must not print a paragraph per variable.
function listNames(names: readonly string[]): string {
  const shown = 10;
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
