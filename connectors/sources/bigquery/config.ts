import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `source.connection` for `kind: bigquery`. */
export const bigquerySourceConfigSchema = z.strictObject({
  projectId: z.string().min(1).meta({ description: 'The Google Cloud project that runs (and pays for) the query jobs.' }),
  location: z.string().min(1).optional().meta({ description: 'Where the jobs run (US, EU, europe-west1); the data location of the model\'s datasets. Default: BigQuery infers it.' }),
  dataset: z.string().min(1).optional().meta({ description: 'Default dataset for unqualified table names in the model.' }),
  credentials: secretRefSchema.optional().meta({
    description:
      'Reference to a service-account key JSON ({ env: NAME } or { file: PATH }). Absent: application default credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity, the metadata server).',
  }),
  apiEndpoint: z.url().optional().meta({ description: 'Override of https://bigquery.googleapis.com (a private endpoint, or an emulator in tests).' }),
  pageSize: z.number().int().min(1).max(100_000).default(10_000).meta({
    description: 'Rows per getQueryResults page. Memory holds about one page plus one batch; BigQuery also caps a page at about 10 MB.',
  }),
  jobTimeoutMs: z.number().int().min(1).optional().meta({ description: 'BigQuery cancels the query job after this long (jobTimeoutMs); the read fails as transient.' }),
  maximumBytesBilled: z.string().regex(/^\d+$/, 'a whole number of bytes, as a string').optional().meta({
    description: 'The job fails instead of billing more than this many bytes (a cost guard); a config error.',
  }),
});

/** The parsed BigQuery source configuration. */
export type BigquerySourceConfig = z.infer<typeof bigquerySourceConfigSchema>;
