import pg from 'pg';
import { configError } from '../../../domain/errors';
import type { ConnectorContext } from '../../types';
import type { PostgresDestinationConfig } from './config';

/** A column of a destination table, from pg_catalog. */
export interface ColumnMeta {
  name: string;
  /** `format_type()`, e.g. `character varying(40)`. */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  /** The column alone is the primary key or a (non-partial) unique index: ON CONFLICT can target it. */
  unique: boolean;
}

/** A destination table and what the connected role may do to it. */
export interface TableMeta {
  schema: string;
  name: string;
  columns: ColumnMeta[];
  canInsert: boolean;
  canUpdate: boolean;
  canDelete: boolean;
}

/** Something that runs a query: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The connector's only door to PostgreSQL. */
export interface PgClient extends Queryable {
  /** `host:port` of the server, never the credentials: safe for error messages. */
  server(): string;
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Reads a table's columns and privileges; `undefined` when it does not exist. */
  readTable(schema: string, name: string): Promise<TableMeta | undefined>;
  close(): Promise<void>;
}

/**
 * Opens a lazily connected pool. The URL secret is resolved on first use, so a destination can
 * be created (and closed) without touching the secret or the network.
 */
export function createPgClient(config: PostgresDestinationConfig, ctx: ConnectorContext): PgClient {
  let pool: Promise<pg.Pool> | undefined;
  let server = 'postgres';
  let closed = false;

  const getPool = (): Promise<pg.Pool> => {
    if (closed) return Promise.reject(new Error('the postgres destination was closed'));
    pool ??= (async () => {
      const url = await ctx.resolveSecret(config.url, 'connection.url');
      server = serverOf(url);
      const p = new pg.Pool({
        connectionString: url,
        max: 4,
        connectionTimeoutMillis: 10_000,
        idleTimeoutMillis: 10_000,
        application_name: 'ebb',
        statement_timeout: config.statementTimeoutMs ?? false,
      });
      // An idle client dropped by the server must not crash the worker; the next query reconnects.
      p.on('error', () => undefined);
      return p;
    })();
    // A failed resolution is not cached: the secret may be fixed before the next attempt.
    pool.catch(() => (pool = undefined));
    return pool;
  };

  return {
    server: () => server,
    async query(sql, params) {
      return (await getPool()).query(sql, params);
    },
    async transaction(fn) {
      const client = await (await getPool()).connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        // A client whose ROLLBACK failed is broken: destroy it rather than return it to the pool.
        await client.query('ROLLBACK').then(
          () => client.release(),
          (e: Error) => client.release(e),
        );
        throw err;
      }
    },
    async readTable(schema, name) {
      const p = await getPool();
      const rel = await p.query<{ oid: number; can_insert: boolean; can_update: boolean; can_delete: boolean }>(
        `SELECT c.oid, has_table_privilege(c.oid, 'INSERT') AS can_insert, has_table_privilege(c.oid, 'UPDATE') AS can_update,
                has_table_privilege(c.oid, 'DELETE') AS can_delete
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'f')`,
        [schema, name],
      );
      const t = rel.rows[0];
      if (!t) return undefined;
      const cols = await p.query<ColumnMeta>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
                (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS "hasDefault",
                EXISTS (SELECT 1 FROM pg_index i
                         WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
                           AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL) AS "unique"
           FROM pg_attribute a
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attnum`,
        [t.oid],
      );
      return { schema, name, columns: cols.rows, canInsert: t.can_insert, canUpdate: t.can_update, canDelete: t.can_delete };
    },
    async close() {
      if (closed) return;
      closed = true;
      const p = await pool?.catch(() => undefined);
      await p?.end();
    },
  };
}

/** `host:port` of a postgres URL; refuses anything that is not one, without echoing it (it holds a password). */
function serverOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw configError('connection.url: the secret it references is not a URL; expected postgres://user:password@host:port/database', { path: 'connection.url' });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw configError(`connection.url: expected a postgres:// URL, got ${u.protocol}//…; fix the secret it references`, { path: 'connection.url' });
  }
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}
