/**
 * BigQuery I/O with `@google-cloud/bigquery`: building an authenticated client, running a
 * query job, and fetching its result pages raw (`skipParsing`), one page at a time.
 */
import { BigQuery, type Job, type QueryResultsOptions } from '@google-cloud/bigquery';
import { GoogleAuth, JWT, type AuthClient } from 'google-auth-library';
import { configError } from '../../../domain/errors';
import type { SchemaField } from './values';

const SCOPES = ['https://www.googleapis.com/auth/bigquery'];

/** What a client needs; credentials are already resolved from their secret reference. */
export interface ClientSettings {
  projectId: string;
  location?: string;
  apiEndpoint?: string;
  /** Service-account key JSON text; absent: application default credentials. */
  credentialsJson?: string;
}

/** `bigquery source project my-project` for messages. */
export function sourceLabel(projectId: string): string {
  return `bigquery source project ${projectId}`;
}

/**
 * The auth client. A service-account key signs its own scoped JWTs
 * (`useJWTAccessWithScope`), which Google APIs accept as access tokens: no round trip to the
 * OAuth token endpoint per hour, and nothing to reach but the API endpoint itself.
 */
export async function authFor(settings: ClientSettings): Promise<AuthClient> {
  if (settings.credentialsJson === undefined) return new GoogleAuth({ scopes: SCOPES, projectId: settings.projectId }).getClient();
  let credentials: Record<string, unknown>;
  try {
    credentials = JSON.parse(settings.credentialsJson) as Record<string, unknown>;
  } catch {
    // The JSON parser's message would quote the key's text: say only where it is.
    throw configError('source.connection.credentials: not a JSON service-account key', { path: 'source.connection.credentials' });
  }
  if (typeof credentials !== 'object' || credentials === null || typeof credentials.type !== 'string') {
    throw configError('source.connection.credentials: a JSON key must have a "type" (service_account)', { path: 'source.connection.credentials' });
  }
  if (credentials.type !== 'service_account') {
    // Other key types (authorized_user, external_account) go through the library's own flow.
    return new GoogleAuth({ credentials, scopes: SCOPES, projectId: settings.projectId }).getClient();
  }
  const jwt = new JWT({ scopes: SCOPES });
  jwt.fromJSON(credentials);
  jwt.useJWTAccessWithScope = true;
  return jwt;
}

/** A BigQuery client for one source. Retries of 429/5xx on each request are the library's (3, with backoff). */
export async function createClient(settings: ClientSettings): Promise<BigQuery> {
  return new BigQuery({
    projectId: settings.projectId,
    location: settings.location,
    apiEndpoint: settings.apiEndpoint,
    authClient: await authFor(settings),
    autoRetry: true,
    maxRetries: 3,
  });
}

/** One page of a query job's result, raw. */
export interface ResultPage {
  rows: { f: { v: unknown }[] }[];
  schema?: SchemaField[];
  /** Absent on the last page. */
  pageToken?: string;
  /** False while the job still runs: ask again (same page). */
  jobComplete: boolean;
}

/**
 * Fetches one page of `job`'s result: `maxResults` rows from `pageToken`. While the job runs,
 * BigQuery holds the call up to its default wait (10 s) and answers `jobComplete: false`; no
 * `timeoutMs` is passed, since the library turns that case into an error when one is.
 */
export async function fetchPage(job: Job, options: { maxResults: number; pageToken?: string }): Promise<ResultPage> {
  // skipParsing is honoured by the library but missing from its typings.
  const request: QueryResultsOptions & { skipParsing: true } = {
    autoPaginate: false,
    maxResults: options.maxResults,
    ...(options.pageToken ? { pageToken: options.pageToken } : {}),
    skipParsing: true,
  };
  const [rows, , response] = await job.getQueryResults(request);
  const r = (response ?? {}) as { schema?: { fields?: SchemaField[] }; pageToken?: string; jobComplete?: boolean };
  return {
    rows: (rows ?? []) as unknown as ResultPage['rows'],
    schema: r.schema?.fields,
    pageToken: r.pageToken || undefined,
    jobComplete: r.jobComplete !== false,
  };
}
