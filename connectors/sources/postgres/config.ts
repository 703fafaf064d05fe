import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `source.connection` for `kind: postgres`. */
export const postgresSourceConfigSchema = z.strictObject({
  url: secretRefSchema.meta({
    description: 'Reference to a postgres:// connection URL (it holds the password): { env: NAME } or { file: PATH }.',
  }),
  fetchSize: z.number().int().min(1).max(100_000).default(5000).meta({
    description: 'Rows per cursor FETCH round trip. Memory holds about one fetch plus one batch.',
  }),
  statementTimeoutMs: z.number().int().min(1).optional().meta({
    description: 'statement_timeout for each statement of a read (each FETCH), not for the whole read.',
  }),
});

/** The parsed PostgreSQL source configuration. */
export type PostgresSourceConfig = z.infer<typeof postgresSourceConfigSchema>;
