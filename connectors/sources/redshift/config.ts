import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `source.connection` for `kind: redshift`. */
export const redshiftSourceConfigSchema = z.strictObject({
  url: secretRefSchema.meta({
    description:
      'Reference to a postgres:// URL for the cluster or workgroup endpoint (port 5439, add ?sslmode=require), holding the password: { env: NAME } or { file: PATH }.',
  }),
  fetchSize: z.number().int().min(2).max(100_000).default(1000).meta({
    description:
      'Rows per cursor FETCH FORWARD. Single-node clusters refuse more than 1000; multi-node clusters and Serverless take more. Never 1: single-row fetches are slow on Redshift.',
  }),
  statementTimeoutMs: z.number().int().min(1).optional().meta({
    description: 'statement_timeout for each statement of a read (the DECLARE that runs the query, each FETCH).',
  }),
});

/** The parsed Redshift source configuration. */
export type RedshiftSourceConfig = z.infer<typeof redshiftSourceConfigSchema>;
