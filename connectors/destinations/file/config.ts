import { z } from 'zod';

/** `connection` of a `file` destination. */
export const fileDestinationConfigSchema = z.strictObject({
  directory: z.string().min(1).meta({ description: "Where exports are written, relative to the spec's directory." }),
  format: z.enum(['jsonl', 'csv']).default('jsonl').meta({ description: 'jsonl: one JSON object per line; csv: RFC 4180 with a header.' }),
});

/** A validated `file` destination config. */
export type FileDestinationConfig = z.infer<typeof fileDestinationConfigSchema>;
