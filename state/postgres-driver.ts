import pg from 'pg';
import type { BulkColumn, BulkLoader, SqlDriver } from './sql-driver';

/** Rows per multi-row insert when bulk loading: big enough to amortise round trips, small enough for bounded memory. */
const BULK_ROWS = 5_000;

/** The shared state store engine: any PostgreSQL 13+. Tables live in their own schema. */
export async function openPostgresDriver(url: string, options: { schema?: string; poolSize?: number } = {}): Promise<SqlDriver> {
  const schema = options.schema ?? 'ebb';
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 8,
    options: `-c search_path=${schema},public`,
  });
  pool.on('error', () => undefined); // idle client errors surface on next use instead of crashing the worker
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  return new PostgresDriver(pool, undefined);
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    private readonly client: pg.PoolClient | undefined,
  ) {}

  private get runner(): pg.Pool | pg.PoolClient {
    return this.client ?? this.pool;
  }

  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const r = await this.runner.query(sql, params);
    return r.rows as T[];
  }

  async exec(sql: string, params: unknown[] = []): Promise<number> {
    const r = await this.runner.query(sql, params);
    return r.rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const out = await fn(new PostgresDriver(this.pool, client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  async bulkLoader(table: string, columns: readonly BulkColumn[]): Promise<BulkLoader> {
    // unnest() of one array per column: one statement per BULK_ROWS rows, no per-row round trip.
    const casts = columns.map((c, i) => `$${i + 1}::${c.type === 'varchar' ? 'text' : c.type === 'double' ? 'float8' : 'int8'}[]`);
    const sql = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`;
    let buffers: unknown[][] = columns.map(() => []);
    let count = 0;
    const flush = async () => {
      if (count === 0) return;
      const params = buffers;
      buffers = columns.map(() => []);
      count = 0;
      await this.runner.query(sql, params);
    };
    return {
      append: (row) => {
        for (let i = 0; i < columns.length; i++) buffers[i].push(row[i] ?? null);
        if (++count >= BULK_ROWS) return flush();
      },
      close: flush,
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
