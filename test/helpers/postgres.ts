import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The test PostgreSQL server's URL (scripts/lib/postgres.sh starts one). */
export function testPgUrl(): string {
  const url = process.env.EBB_TEST_PG_URL;
  if (!url) throw new Error('EBB_TEST_PG_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return url;
}

/** A fresh database for one test file, dropped by `drop()`. */
export async function createTestDatabase(prefix = 'ebb_t'): Promise<{ url: string; name: string; query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>; drop: () => Promise<void> }> {
  const admin = testPgUrl();
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    url,
    name,
    query: (sql, params) => pool.query(sql, params),
    drop: async () => {
      await pool.end();
      await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
