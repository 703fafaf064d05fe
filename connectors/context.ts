import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { configError } from '../domain/errors';
import { secretRefSchema } from '../domain/spec/secret-ref';
import type { ConnectorContext, RequestBudget } from './types';

/**
 * The runtime context connectors get: secret references are resolved here, on the worker,
 * at the moment of use, so secret values never enter a spec, a workflow input or history.
 */
export function createConnectorContext(options: { baseDir?: string; env?: NodeJS.ProcessEnv; budget?: RequestBudget } = {}): ConnectorContext {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  return {
    baseDir,
    ...(options.budget ? { budget: options.budget } : {}),
    async resolveSecret(ref, at) {
      const parsed = secretRefSchema.safeParse(ref);
      if (!parsed.success) throw configError(`${at}: ${parsed.error.issues[0]?.message ?? 'not a secret reference'}`, { path: at });
      const r = parsed.data;
      if ('env' in r) {
        const value = env[r.env];
        if (value === undefined || value === '') {
          throw configError(`${at}: environment variable ${r.env} is not set on the worker`, { path: at });
        }
        return value;
      }
      const file = path.resolve(baseDir, r.file);
      try {
        return (await readFile(file, 'utf8')).trim();
      } catch (err) {
        throw configError(`${at}: cannot read secret file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { path: at, cause: err });
      }
    },
  };
}
