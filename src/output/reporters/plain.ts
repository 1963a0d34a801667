// Plain lines for CI logs and pipes: whole lines only, one per event, prefixed by host.
import type { Output } from '../output.ts';
import type { Reporter, RunEvent } from '../events.ts';
import { secondsText } from '../events.ts';
import { paint } from '../colors.ts';

export function plainReporter(out: Output): Reporter {
  let width = 0;
  return {
    begin: (batches) => {
      width = Math.max(0, ...batches.flat().map((h) => h.length + 2));
    },
    event: (e: RunEvent) => {
      if (e.type === 'batch') out.line(`batch ${e.index + 1}/${e.total}: ${e.hosts.join(', ')}`);
      else if (e.type === 'step') out.line(`${`[${e.host}]`.padEnd(width)} ${e.step}${e.detail ? ` ${e.detail}` : ''}`);
      else if (e.type === 'host') {
        const color = e.status === 'ok' ? 'green' : e.status === 'skipped' ? 'yellow' : 'red';
        out.line(
          `${`[${e.host}]`.padEnd(width)} ${paint(out.color, color, e.status)} ${secondsText(e.durationMs)}${e.detail ? `: ${e.detail}` : ''}`,
        );
      } else out.line(e.text);
    },
    end: async () => {},
  };
}
