import { z } from 'zod';

/**
 * A secret is always a reference, never a value: `{ env: NAME }` reads an environment
 * variable on the worker, `{ file: PATH }` reads a file (e.g. a mounted Kubernetes secret).
 * Because specs only ever hold references, a spec can travel through workflow history safely.
 */
export const secretRefSchema = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'a secret must be a reference, { env: NAME } or { file: PATH }; inline secrets are refused' },
).meta({ description: 'Secret reference: { env: NAME } or { file: PATH }. Never an inline value.' });

/** `{ env }` or `{ file }`. */
export type SecretRef = z.infer<typeof secretRefSchema>;
