// The app's .conf for one host (docs/tasks.md, "programs" and "confFiles"): generated sections, then each
// hand-written conf file rendered with the host's values.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import type { HostConfig } from '../inventory/types.ts';
import type { NormalisedApp } from '../tasks/normalised.ts';
import { escapePercent } from '../tasks/supervisor-values.ts';
import { confMarker } from './conf-owner.ts';
import type { ConfSecrets } from './confgen.ts';
import { generateAppConf } from './confgen.ts';
import { renderTemplate, templateVars } from './templates.ts';

/** The text of each `confFiles` entry, read once per run (paths as the task file writes them). */
export type ConfFileTexts = ReadonlyMap<string, string>;

/** Reads the app's hand-written conf files, relative to the project; a missing one is bad input (exit 2). */
export function readConfFiles(app: NormalisedApp, project: string): ConfFileTexts {
  const texts = new Map<string, string>();
  for (const file of app.confFiles) {
    try {
      texts.set(file, readFileSync(path.resolve(project, file), 'utf8'));
    } catch {
      throw new UsageError(`confFiles: ${path.resolve(project, file)} not found`);
    }
  }
  return texts;
}

/**
 * Generated from `programs`, then each hand-written `confFiles` entry with its `{{…}}` rendered and `%` in the
 * inserted values escaped. Hand-written sections should belong to the app's group (`[group:<app>]` or
 * `[program:<app>]`): only that group is applied.
 */
export function renderConf(
  app: NormalisedApp,
  host: HostConfig,
  release: string,
  confFiles: ConfFileTexts,
  secrets?: ConfSecrets,
): string {
  const generated =
    app.programs.length > 0
      ? generateAppConf(app, {
          host: { name: host.name, address: host.address, user: host.user, vars: host.vars },
          release,
          secrets,
        })
      : '';
  const vars = templateVars(app, host, release);
  const percentEscaped = {
    literal: (t: string) => t,
    value: (t: string) => escapePercent(t, { keepExpansions: false, passes: 1 }),
  };
  const handWritten = app.confFiles.map((file) => {
    const text = confFiles.get(file);
    if (text === undefined) throw new UsageError(`confFiles: ${file} was not read`);
    return `; from ${file}\n${renderTemplate(text, vars, percentEscaped)}`;
  });
  // Only programs: the generated part starts with the marker. Only confFiles: the marker goes first all the same, so
  // that the next deploy knows the conf for Convoy's (src/deploy/conf-owner.ts).
  const marker = generated ? '' : `${confMarker(app.name)}\n`;
  return [generated || marker, ...handWritten].filter(Boolean).join('\n');
}
