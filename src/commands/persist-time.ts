// How long this run's connections outlive it (`--persist`, `--no-persist`, the inventory's `persist`): the flag for
// this run wins over the team's setting, so one person can turn it off (or change it) without editing the inventory.
import type { Inventory } from '../inventory/types.ts';

/**
 * The run's persist time in ms, or undefined for none. `flag` is commander's value of `--persist <d>` (a number) and
 * `--no-persist` (false), the last of them given winning; undefined when neither was given.
 */
export function runPersistMs(
  flag: number | false | undefined,
  inventory: Pick<Inventory, 'persistMs'>,
): number | undefined {
  if (flag === false) return undefined;
  return flag ?? inventory.persistMs;
}
