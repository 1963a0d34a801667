// `--json` for runs: one JSON object per line (events as they happen); the command prints its summary object last.
import type { Output } from '../output.ts';
import type { Reporter } from '../events.ts';

export function jsonReporter(out: Output): Reporter {
  return {
    begin: (batches) => out.line(JSON.stringify({ type: 'plan', batches })),
    event: (e) => out.line(JSON.stringify({ ...e, time: new Date().toISOString() })),
    end: async () => {},
  };
}
