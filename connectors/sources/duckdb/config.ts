import { z } from 'zod';

/** `source.connection` for `kind: duckdb`: an embedded DuckDB database file. */
export const duckdbSourceConfigSchema = z.strictObject({
  path: z.string().min(1).meta({
    description: 'Database file, relative to the spec directory. `:memory:` opens an empty private database (tests).',
  }),
  readOnly: z.boolean().default(true).meta({
    description:
      'Open the file read-only (the default): other processes may read it too, and no writer can change it mid-read. ' +
      'Set false only to share the file with a writer in the same process.',
  }),
  memoryLimit: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i, 'use a size like "256MB" or "2GB"')
    .default('128MB')
    .meta({ description: "DuckDB's memory_limit for this database; larger models spill to disk instead of growing." }),
  threads: z.number().int().min(1).max(256).optional().meta({ description: "DuckDB worker threads; DuckDB's default is one per core." }),
});

/** The parsed DuckDB source configuration. */
export type DuckdbSourceConfig = z.infer<typeof duckdbSourceConfigSchema>;
