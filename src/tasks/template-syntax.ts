// `{{ name }}` placeholders in task files. Only a name counts, so Go templates in commands
// (`docker inspect -f '{{.State}}'`, `{{json .}}`) are left as they are.

// A variable name: inventory keys and the built-ins; the braces may hold spaces around it.
export const placeholderPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

// The built-in variables every app template may use, next to the host's inventory variables.
export const builtinVariables = ['host', 'address', 'user', 'app', 'root', 'release'] as const;

// Names used in `text`, in order of first use, each once.
export function templateNames(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(placeholderPattern), (m) => m[1] ?? ''))];
}
