// ANSI colors, applied only when the output decided color is wanted.

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type ColorName = keyof typeof codes;

export function paint(enabled: boolean, color: ColorName, text: string): string {
  return enabled ? `\x1b[${codes[color]}m${text}\x1b[0m` : text;
}

const hostPalette: readonly ColorName[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];

/** A stable color per host position, so neighbouring hosts' lines are easy to tell apart. */
export function hostColor(index: number): ColorName {
  return hostPalette[index % hostPalette.length] ?? 'cyan';
}
