// Renders `{{ name }}` placeholders with a host's variables; the syntax itself belongs to task files.
import { UsageError } from '../errors.ts';
import { closest } from '../inventory/suggest.ts';
import { placeholderPattern } from '../tasks/template-syntax.ts';

export { templateNames } from '../tasks/template-syntax.ts';

// How the pieces are written out: the text around placeholders and the values put in them may need different
// escaping (a .conf keeps Supervisor's `%(…)s` in the text, but never in a variable's value).
export interface TemplateEscape {
  literal(text: string): string;
  value(text: string): string;
}

/** Who a template is rendered for: the host as the inventory resolved it. */
export interface TemplateHost {
  name: string;
  address: string;
  user: string;
  vars: Readonly<Record<string, string>>;
}

/**
 * The values `{{name}}` may use: the host's inventory variables, then the built-ins (last: an inventory variable
 * cannot change what {{root}} or {{host}} mean).
 */
export function templateVars(
  app: { name: string; root: string },
  host: TemplateHost,
  release: string,
): Record<string, string> {
  return {
    ...host.vars,
    host: host.name,
    address: host.address,
    user: host.user,
    app: app.name,
    root: app.root,
    release,
  };
}

const unchanged: TemplateEscape = { literal: (text) => text, value: (text) => text };

// `text` with every placeholder replaced; a name missing from `vars` is a UsageError (deploys stop before
// anything is written, and validation reports the same names earlier).
export function renderTemplate(
  text: string,
  vars: Readonly<Record<string, string>>,
  escape: TemplateEscape = unchanged,
): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(placeholderPattern)) {
    const name = match[1] ?? '';
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value === undefined) {
      const hint = closest(name, Object.keys(vars));
      throw new UsageError(`{{${name}}} is not defined${hint === undefined ? '' : ` (did you mean {{${hint}}}?)`}`);
    }
    out += escape.literal(text.slice(last, match.index)) + escape.value(value);
    last = match.index + match[0].length;
  }
  return out + escape.literal(text.slice(last));
}
