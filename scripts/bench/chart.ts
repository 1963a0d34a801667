// The benchmark's picture: horizontal bars per case and tool, seconds on the axis, as one plain SVG that GitHub shows
// in the README (no script, no external font or style, a white background for its dark theme).
//
// Written by hand rather than with a charting library: a bar chart is rectangles and text, about a hundred lines;
// the libraries that render SVG on Node (vega, d3 with jsdom, chart.js with canvas) pull in a DOM or native canvas.

/** One bar: the case it belongs to (a heading), the tool or variant (its label), and its time. */
export interface Bar {
  group: string;
  label: string;
  seconds: number;
  /** Drawn in the accent colour (Convoy's own rows). */
  highlight?: boolean;
}

export interface ChartOptions {
  title: string;
  /** A line under the title: hosts, runs, machine. */
  subtitle?: string;
  /** Total width in pixels; default 800. */
  width?: number;
}

/** Text as it may appear in SVG text and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The axis: its end and tick step, a round number (1, 2, 2.5 or 5 × 10^n) giving at most 6 steps. */
export function niceScale(max: number): { max: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, step: 0.2 };
  const magnitude = 10 ** Math.floor(Math.log10(max / 6));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => max / s <= 6) ?? 10 * magnitude;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

/** "1.23 s", "0.45 s", "85 s": two significant decimals below 10 s. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  return seconds >= 10 ? `${seconds.toFixed(1)} s` : `${seconds.toFixed(2)} s`;
}

const layout = { labelWidth: 290, valueWidth: 70, rowHeight: 22, groupGap: 26, top: 64, axisHeight: 44 };
const font = 'font-family="-apple-system, \'Segoe UI\', Helvetica, Arial, sans-serif"';
const colors = { bar: '#9aa4b2', highlight: '#2f6fde', text: '#1f2328', muted: '#59636e', grid: '#d8dee4' };

/** One row of the chart: a group heading or a bar, with its y position. */
type Row = { kind: 'group'; text: string; y: number } | { kind: 'bar'; bar: Bar; y: number };

function rowsOf(bars: readonly Bar[]): { rows: Row[]; height: number } {
  const rows: Row[] = [];
  let y = layout.top;
  let group: string | undefined;
  for (const bar of bars) {
    if (bar.group !== group) {
      group = bar.group;
      y += rows.length ? layout.groupGap - layout.rowHeight / 2 : 0;
      rows.push({ kind: 'group', text: bar.group, y });
      y += layout.rowHeight;
    }
    rows.push({ kind: 'bar', bar, y });
    y += layout.rowHeight;
  }
  return { rows, height: y + layout.axisHeight };
}

function axis(scale: { max: number; step: number }, x0: number, plot: number, top: number, bottom: number): string[] {
  const out: string[] = [];
  for (let v = 0; v <= scale.max + 1e-9; v += scale.step) {
    const x = (x0 + (v / scale.max) * plot).toFixed(1);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${colors.grid}" stroke-width="1"/>`);
    const label = Number(v.toFixed(3)).toString();
    out.push(
      `<text x="${x}" y="${bottom + 16}" text-anchor="middle" font-size="11" fill="${colors.muted}">${label}</text>`,
    );
  }
  out.push(
    `<text x="${x0 + plot / 2}" y="${bottom + 34}" text-anchor="middle" font-size="12" fill="${colors.muted}">seconds (median wall time; shorter is better)</text>`,
  );
  return out;
}

function barRow(bar: Bar, y: number, x0: number, plot: number, scaleMax: number): string[] {
  const mid = y + layout.rowHeight / 2;
  const out = [
    `<text x="${x0 - 8}" y="${mid + 4}" text-anchor="end" font-size="12" fill="${colors.text}">${escapeXml(bar.label)}</text>`,
  ];
  if (!Number.isFinite(bar.seconds)) return out;
  const width = Math.max(1, (bar.seconds / scaleMax) * plot);
  const fill = bar.highlight ? colors.highlight : colors.bar;
  out.push(
    `<rect x="${x0}" y="${y + 3}" width="${width.toFixed(1)}" height="${layout.rowHeight - 6}" fill="${fill}"/>`,
  );
  out.push(
    `<text x="${(x0 + width + 6).toFixed(1)}" y="${mid + 4}" font-size="12" fill="${colors.text}">${formatSeconds(bar.seconds)}</text>`,
  );
  return out;
}

/** The whole SVG document. */
export function barChart(bars: readonly Bar[], options: ChartOptions): string {
  const width = options.width ?? 800;
  const x0 = layout.labelWidth;
  const plot = width - x0 - layout.valueWidth;
  const scale = niceScale(Math.max(0, ...bars.map((b) => b.seconds).filter(Number.isFinite)));
  const { rows, height } = rowsOf(bars);
  const bottom = height - layout.axisHeight;
  const body = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="600" fill="${colors.text}">${escapeXml(options.title)}</text>`,
    ...(options.subtitle
      ? [`<text x="16" y="46" font-size="12" fill="${colors.muted}">${escapeXml(options.subtitle)}</text>`]
      : []),
    ...axis(scale, x0, plot, layout.top - 4, bottom),
    ...rows.flatMap((row) =>
      row.kind === 'group'
        ? [
            `<text x="16" y="${row.y + layout.rowHeight / 2 + 4}" font-size="13" font-weight="600" fill="${colors.text}">${escapeXml(row.text)}</text>`,
          ]
        : barRow(row.bar, row.y, x0, plot, scale.max),
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${font} role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    ...body.map((line) => `  ${line}`),
    '</svg>',
    '',
  ].join('\n');
}
