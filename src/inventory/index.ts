// The inventory module: load an inventory file into resolved hosts, and pick hosts by target pattern.
export { loadInventory, parseInventory } from './load.ts';
// Commands resolve their target argument here.
export { resolveTarget } from './targets.ts';
// The shapes other modules (ssh, commands, `convoy hosts`) depend on.
export type { GroupInfo, HostConfig, Inventory, InventoryOptions, ParseOptions } from './types.ts';
