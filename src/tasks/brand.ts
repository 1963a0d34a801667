// Brands in the global symbol registry: a task file may load its own copy of Convoy, so module identity and
// instanceof cannot tell our values apart from look-alikes.

export const appBrand: unique symbol = Symbol.for('convoy.app');
export const taskBrand: unique symbol = Symbol.for('convoy.task');

// True for what defineApp returned, from whichever copy of Convoy.
export function isAppDefinition(value: unknown): value is object {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[appBrand] === true;
}

// True for what defineTask returned, from whichever copy of Convoy.
export function isTaskDefinition(value: unknown): value is object {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[taskBrand] === true;
}
