// Names and paths that end up in Supervisor section headers, process names and remote paths.

// App and program names are Supervisor section names (`[group:x]`, `[program:x]`) and path parts (`<root>/…`,
// `<logDir>/<program>.out.log`): no spaces, ':' or '/', and never '.' or '..'.
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const nameRule = "expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";

// undefined when the name is fine, else the problem message.
export function nameProblem(kind: 'app' | 'program' | 'task', name: string): string | undefined {
  return namePattern.test(name) ? undefined : `'${name}' is not a valid ${kind} name (${nameRule})`;
}

// Remote directories Convoy creates and prunes under: absolute, normalized, nothing a shell would interpret.
const pathPattern = /^\/[A-Za-z0-9_./-]+$/;

// undefined when the path is fine, else the problem message.
export function absolutePathProblem(path: string): string | undefined {
  if (!pathPattern.test(path))
    return `'${path}' is not a safe absolute path (expected '/' followed by letters, digits, '_', '.', '-' and '/')`;
  const parts = path.slice(1).split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    return `'${path}' is not a normalized path (expected no '.', '..' or empty parts, and no trailing '/')`;
  }
  return undefined;
}
