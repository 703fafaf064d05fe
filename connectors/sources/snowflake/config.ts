import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `source.connection` of a `snowflake` source. */
export const snowflakeSourceConfigSchema = z.strictObject({
  account: z.string().min(1).meta({ description: 'The account identifier, e.g. myorg-myaccount.' }),
  username: z.string().min(1),
  password: secretRefSchema.meta({ description: 'The user\'s password, by reference (key-pair auth: not yet).' }),
  warehouse: z.string().min(1).optional(),
  database: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  role: z.string().min(1).optional(),
  accessUrl: z.url({ protocol: /^https?$/ }).optional().meta({ description: 'Overrides the account URL (tests: a local Snowflake-compatible endpoint).' }),
});

/** A validated `snowflake` source config. */
export type SnowflakeSourceConfig = z.infer<typeof snowflakeSourceConfigSchema>;
