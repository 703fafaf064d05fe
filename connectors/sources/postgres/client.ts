/**
 * PostgreSQL I/O: one dedicated `pg.Client` per read (a cursor lives in a transaction on one
 * connection), set up so values arrive as JSON values.
 */
import pg from 'pg';
import { SESSION_SETUP, jsonTypes } from './values';

/** Connection settings a client needs; the URL is already resolved from its secret reference. */
export interface ClientSettings {
  url: string;
  statementTimeoutMs?: number;
}

/** A connect that hangs must fail in time for the activity to retry. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * `postgres source host:port/db` for messages. Built from the URL without its user
 * information, so the password never reaches a message. `kind` names wire-compatible engines
 * (`redshift source …`).
 */
export function sourceLabel(url: string, kind = 'postgres'): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default db)';
    return `${kind} source ${u.hostname || 'localhost'}${u.port ? `:${u.port}` : ''}/${db}`;
  } catch {
    return `${kind} source`;
  }
}

/** Opens a connected client in the UTC/ISO session the value parsers expect. */
export async function connectClient(settings: ClientSettings): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: settings.url,
    types: jsonTypes,
    application_name: 'ebb-source',
    statement_timeout: settings.statementTimeoutMs,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // Without a listener, a connection dropped while idle (between two FETCHes) would be an
  // unhandled 'error' event and crash the worker; the next query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(SESSION_SETUP);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/** Ends a client, ignoring errors: it is being thrown away. */
export async function endClient(client: pg.Client): Promise<void> {
  await client.end().catch(() => undefined);
}
