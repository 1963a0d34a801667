// The inventory module: load an inventory file into resolved hosts, and pick hosts by target pattern.
export { loadInventory, parseInventory } from './load.ts';
export { resolveTarget } from './targets.ts';
export type { GroupInfo, HostConfig, Inventory, InventoryOptions, ParseOptions } from './types.ts';
