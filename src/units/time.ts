// Times in names (release ids, backups): compact UTC, sortable as text, no characters a file name or shell minds.

/** `20261125T204900Z`: the UTC second of `date`. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
