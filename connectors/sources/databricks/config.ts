import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `source.connection` of a `databricks` source: a SQL warehouse, reached through the Statement Execution API. */
export const databricksSourceConfigSchema = z.strictObject({
  host: z.url({ protocol: /^https?$/ }).meta({ description: 'The workspace URL, e.g. https://adb-123.4.azuredatabricks.net.' }),
  warehouseId: z.string().min(1).meta({ description: 'The SQL warehouse that runs the queries.' }),
  token: secretRefSchema.meta({ description: 'A personal access token or OAuth token, by reference.' }),
  catalog: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  waitTimeoutSeconds: z.number().int().min(5).max(50).default(30).meta({ description: 'How long a submit waits for the result before polling.' }),
  pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
  maxAttempts: z.number().int().min(1).max(10).default(5).meta({ description: 'Tries per API call on 429, 5xx or network errors.' }),
});

/** A validated `databricks` source config. */
export type DatabricksSourceConfig = z.infer<typeof databricksSourceConfigSchema>;
