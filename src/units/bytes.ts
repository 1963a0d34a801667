// Sizes as people read them, the same in step lines, tables and dry runs.

/** `512 B`, `5.1 kB`, `20.3 MB`, `1.2 GB` (decimal units, one decimal). */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
