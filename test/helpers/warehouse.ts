import { DuckDBInstance } from '@duckdb/node-api';

/** Runs SQL statements against a DuckDB file, opening and closing it (so a source can open it next). */
export async function duckdb(file: string, ...statements: string[]): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  try {
    let rows: Record<string, unknown>[] = [];
    for (const s of statements) rows = (await c.runAndReadAll(s)).getRowObjectsJS() as Record<string, unknown>[];
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/**
 * A small customers model: ids 1..n, an email per customer (the PII the privacy test hunts for),
 * a lifecycle stage, a score and updated_at.
 */
export async function createCustomers(file: string, n: number): Promise<void> {
  await duckdb(
    file,
    `CREATE OR REPLACE TABLE customers AS
       SELECT i::BIGINT AS customer_id,
              'person.' || i || '@example.com' AS email,
              (['lead','mql','sql','customer'])[1 + (i % 4)::INT] AS stage,
              round((hash(i) % 1000)::DOUBLE / 1000, 3) AS score,
              TIMESTAMP '2026-01-01 00:00:00' + to_seconds(i) AS updated_at
       FROM range(1, ${n + 1}) t(i)`,
  );
}

/** Changes the customers model: bumps `updates` rows, adds `inserts` new ids, deletes `deletes` ids. */
export async function changeCustomers(file: string, c: { updates: number; inserts: number; deletes: number; from?: number }): Promise<void> {
  const [{ m }] = await duckdb(file, `SELECT max(customer_id) AS m FROM customers`);
  const max = Number(m);
  await duckdb(
    file,
    `UPDATE customers SET stage = 'churned', score = score + 1, updated_at = TIMESTAMP '2026-06-01 00:00:00' + to_seconds(customer_id)
       WHERE customer_id IN (SELECT customer_id FROM customers ORDER BY customer_id LIMIT ${c.updates} OFFSET ${c.from ?? 0})`,
    `DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM customers ORDER BY customer_id DESC LIMIT ${c.deletes})`,
    `INSERT INTO customers SELECT i, 'new.' || i || '@example.com', 'lead', 0.5, TIMESTAMP '2026-06-02 00:00:00' + to_seconds(i)
       FROM range(${max + 1}, ${max + 1 + c.inserts}) t(i)`,
  );
}
