import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `connection` of a `postgres` destination. */
export const postgresDestinationConfigSchema = z.strictObject({
  // A reference, because a connection URL carries the password.
  url: secretRefSchema.meta({ description: 'postgres:// URL of the destination database, by reference (it carries the password).' }),
  schema: z.string().min(1).default('public').meta({ description: 'Schema of tables named without one in `object`.' }),
  statementTimeoutMs: z.number().int().positive().optional().meta({ description: 'Server-side statement_timeout for ebb\'s writes.' }),
});

/** A validated `postgres` destination config. */
export type PostgresDestinationConfig = z.infer<typeof postgresDestinationConfigSchema>;
