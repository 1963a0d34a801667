// Loopback addresses for sandbox hosts: consecutive, inside 127.0.0.0/8, skipping .0 and .255.
import { UsageError } from '../errors.ts';

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** `count` loopback addresses starting at `first`; throws a UsageError when they would leave 127.0.0.0/8. */
export function sandboxAddresses(first: string, count: number): string[] {
  const start = parseIPv4(first);
  if (start === undefined || Math.floor(start / 2 ** 24) !== 127) {
    throw new UsageError(
      `--first-address: '${first}' is not a loopback IPv4 address (expected 127.x.y.z, e.g. 127.0.1.1)`,
    );
  }
  const out: string[] = [];
  for (let value = start; out.length < count; value++) {
    if (Math.floor(value / 2 ** 24) !== 127) {
      throw new UsageError(`--hosts: ${count} hosts from ${first} do not fit in 127.0.0.0/8`);
    }
    const last = value % 256;
    if (last === 0 || last === 255) continue;
    out.push(formatIPv4(value));
  }
  return out;
}
