/**
 * Redshift I/O over the PostgreSQL wire protocol with `pg`: one dedicated client per read
 * (a cursor lives in a transaction on one connection). Values are parsed by the PostgreSQL
 * source's per-client parsers. The session setup differs: Redshift has no `IntervalStyle`
 * (nor interval columns), and every setting goes as a documented `SET` statement rather than
 * as a startup parameter.
 */
import pg from 'pg';
import { jsonTypes } from './values';

/** Connection settings a client needs; the URL is already resolved from its secret reference. */
export interface ClientSettings {
  url: string;
  statementTimeoutMs?: number;
}

/** A connect that hangs (a paused cluster, a closed security group) must fail in time to retry. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One statement each: the text formats `jsonTypes` reads (UTC, ISO dates), and
 * `extra_float_digits = 2` so Redshift prints doubles with enough digits to round-trip
 * (its default, 0, prints 15 and loses the last bits; PostgreSQL 12+ prints shortest-exact
 * for any value above 0, so the same setting is right on both).
 */
const SESSION_SETUP = ["SET timezone TO 'UTC'", "SET DateStyle TO 'ISO, YMD'", 'SET extra_float_digits TO 2'];

/** Opens a connected client in the session the value parsers expect. */
export async function connectClient(settings: ClientSettings): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: settings.url,
    types: jsonTypes,
    application_name: 'ebb-source',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle connection dropped between two FETCHes must not crash the worker with an
  // unhandled 'error' event; the next query reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const statement of SESSION_SETUP) await client.query(statement);
    if (settings.statementTimeoutMs !== undefined) await client.query(`SET statement_timeout TO ${settings.statementTimeoutMs}`);
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
