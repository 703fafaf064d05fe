import type { z } from 'zod';

/** One problem in a spec: where, and what. */
export interface SpecIssue {
  /** Dotted path with indexes, e.g. `destinations[0].mapping.email`. */
  path: string;
  message: string;
}

/** Formats a zod path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** zod issues as spec issues, each under `prefix`. */
export function specIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): SpecIssue[] {
  return error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: describeIssue(i) }));
}

function describeIssue(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys') return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  return i.message;
}

/** The one-paragraph error shown for an invalid spec: the file, then every bad path. */
export function formatSpecIssues(file: string, issues: readonly SpecIssue[]): string {
  const n = issues.length;
  return `${file}: invalid sync spec (${n} problem${n === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`;
}
