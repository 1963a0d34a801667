// Plain-text tables: columns padded to the widest cell, numbers right-aligned.

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const ansi = /\x1b\[[0-9;]*m/g;

/** Visible width of a cell (ANSI color codes take no room). */
export function visibleWidth(text: string): number {
  return [...text.replace(ansi, '')].length;
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const isNumber = (cell: string) => /^-?[\d.]+( \w+)?$/.test(cell);
  const numeric = headers.map(
    (_, i) => rows.some((r) => isNumber(r[i] ?? '')) && rows.every((r) => isNumber(r[i] ?? '') || r[i] === '-'),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(cell)));
        if (i === cells.length - 1 && !numeric[i]) return cell;
        return numeric[i] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n');
}
