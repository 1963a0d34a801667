// Host and group names also appear in target lists, so they must not contain the target syntax (`,!&*?` or spaces).
const namePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

// `all` is every host, so nothing else may be called that.
export const reservedName = 'all';

// undefined when the name is fine, else why not (as a problem message).
export function checkName(kind: 'host' | 'group', name: string): string | undefined {
  if (name === '') return `empty ${kind} name (expected [${kind}:NAME])`;
  if (!namePattern.test(name))
    return `${kind} name '${name}' is not valid (expected letters, digits, '.', '-' and '_', not starting with '.' or '-')`;
  if (name === reservedName) return `${kind} name 'all' is reserved (the target 'all' means every host)`;
  return undefined;
}

// `a, b,,c ` -> ['a', 'b', 'c']: empty items (a trailing comma) are allowed.
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

// A variable is only usable as `{{name}}` (tasks/template-syntax.ts) when its key looks like this.
const variablePattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

// undefined when the key can be a variable, else why not (a key no template could name is a mistake).
export function checkVariableName(key: string): string | undefined {
  if (variablePattern.test(key)) return undefined;
  return `'${key}' is not a valid variable name (expected letters, digits, '_', '.' and '-', starting with a letter or '_', as {{name}} templates write it)`;
}
