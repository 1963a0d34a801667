// The reporter for this terminal: JSON lines with --json, the listr2 view on a TTY, plain lines otherwise (CI, pipes).
import type { Output } from '../output.ts';
import type { Reporter } from '../events.ts';
import { jsonReporter } from './json.ts';
import { listrReporter } from './listr.ts';
import { plainReporter } from './plain.ts';

export function chooseReporter(out: Output, isTTY = process.stdout.isTTY === true): Reporter {
  if (out.jsonMode) return jsonReporter(out);
  if (isTTY && process.env.TERM !== 'dumb' && !process.env.CI) return listrReporter();
  return plainReporter(out);
}
