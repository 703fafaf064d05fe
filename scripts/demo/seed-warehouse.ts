/**
 * The demo's marketing warehouse: an embedded DuckDB file with a realistic `customers`
 * table, generated in SQL from hash() of each id, so 100k rows take well under a second and
 * the same id always gets the same person. `mutateWarehouse` then plays a day of business
 * (stage changes, sign-ups, erasures) for the next sync to pick up.
 *
 *   node --import tsx scripts/demo/seed-warehouse.ts <path> [--customers N]
 *   node --import tsx scripts/demo/seed-warehouse.ts <path> --mutate [--updates N] [--inserts N] [--deletes N]
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger', 'Radia', 'Tim',
  'Hedy', 'John', 'Katherine', 'Donald', 'Shafi', 'Leslie', 'Sophie', 'Guido', 'Anita', 'Bjarne', 'Joan', 'James', 'Mary',
  'Niklaus', 'Sandi', 'Yukihiro', 'Evelyn', 'Ward', 'Lynn', 'Rob', 'Karen', 'Brian', 'Jean', 'Ivan', 'Carol', 'Whitfield', 'Adele', 'Ole'];
const LAST_NAMES = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra',
  'Perlman', 'Berners-Lee', 'Lamarr', 'Backus', 'Johnson', 'Knuth', 'Goldwasser', 'Lamport', 'Wilson', 'van Rossum', 'Borg',
  'Stroustrup', 'Clarke', 'Gosling', 'Keller', 'Wirth', 'Metz', 'Matsumoto', 'Berezin', 'Cunningham', 'Conway', 'Pike',
  'Sparck Jones', 'Kernighan', 'Sammet', 'Sutherland', 'Shaw', 'Diffie', 'Goldberg', 'Dahl'];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'GB', 'DE', 'DE', 'FR', 'NL', 'ES', 'IT', 'CA', 'AU', 'BR', 'JP', 'IN', 'SE', 'IE', 'PL', 'MX'];

/** Lifecycle stages in funnel order; an update moves a customer one step along (churned wraps to lead). */
export const LIFECYCLE_STAGES = ['lead', 'mql', 'sql', 'customer', 'churned'] as const;
/** Lifetime-value tiers, cheapest first. */
export const LTV_TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;

const sqlList = (items: readonly string[]) => `[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')}]`;
/** A deterministic pick in 0..n-1 for this id and purpose. */
const pick = (purpose: string, n: number) => `(hash(id, '${purpose}') % ${n})::BIGINT`;

const CREATE_TABLE = `CREATE OR REPLACE TABLE customers (
  customer_id BIGINT PRIMARY KEY,
  email VARCHAR NOT NULL,
  first_name VARCHAR,
  last_name VARCHAR,
  phone VARCHAR,
  country VARCHAR(2),
  lifecycle_stage VARCHAR,
  ltv_tier VARCHAR,
  churn_score DOUBLE,
  consent_email BOOLEAN,
  consent_ads BOOLEAN,
  updated_at TIMESTAMP
)`;

/** The SELECT producing customers `from`..`to` (inclusive), all columns in table order. */
function customersSql(from: number, to: number): string {
  return `
    WITH people AS (
      SELECT id,
             ${sqlList(FIRST_NAMES)}[${pick('first', FIRST_NAMES.length)} + 1] AS first_name,
             ${sqlList(LAST_NAMES)}[${pick('last', LAST_NAMES.length)} + 1] AS last_name,
             ${pick('stage', 100)} AS stage_roll,
             ${pick('tier', 100)} AS tier_roll
      FROM range(${from}, ${to + 1}) AS t(id)
    )
    SELECT id,
           lower(replace(first_name || '.' || last_name, ' ', '')) || '.' || id || '@example.com',
           first_name,
           last_name,
           '+1555' || lpad(${pick('phone', 10_000_000)}::VARCHAR, 7, '0'),
           ${sqlList(COUNTRIES)}[${pick('country', COUNTRIES.length)} + 1],
           CASE WHEN stage_roll < 30 THEN 'lead' WHEN stage_roll < 50 THEN 'mql' WHEN stage_roll < 62 THEN 'sql'
                WHEN stage_roll < 90 THEN 'customer' ELSE 'churned' END,
           CASE WHEN tier_roll < 50 THEN 'bronze' WHEN tier_roll < 80 THEN 'silver' WHEN tier_roll < 95 THEN 'gold'
                ELSE 'platinum' END,
           round(${pick('churn', 1001)} / 1000.0, 3)::DOUBLE,
           ${pick('consent_email', 100)} < 70,
           ${pick('consent_ads', 100)} < 40,
           TIMESTAMP '2025-01-01 00:00:00' - to_seconds(${pick('updated', 365 * 86_400)})
    FROM people`;
}

function count(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, got ${n}`);
  return n;
}

/**
 * Runs `use` on a connection to the file. The handle comes from DuckDB's per-process cache,
 * so a source already holding the file read-only in this process makes this fail loudly
 * instead of two engines writing one file.
 */
async function withWarehouse<T>(file: string, use: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const absolute = path.resolve(file);
  await mkdir(path.dirname(absolute), { recursive: true });
  const instance = await DuckDBInstance.fromCache(absolute);
  const connection = await instance.connect();
  try {
    const result = await use(connection);
    await connection.run('CHECKPOINT');
    return result;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function inTransaction<T>(c: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await c.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await c.run('COMMIT');
    return result;
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Creates (or replaces) `customers` with ids 1..customers. Returns the row count written. */
export async function seedWarehouse(file: string, { customers = 100_000 }: { customers?: number } = {}): Promise<{ customers: number }> {
  count(customers, 'customers');
  return withWarehouse(file, (c) =>
    inTransaction(c, async () => {
      await c.run(CREATE_TABLE);
      const inserted = customers === 0 ? 0 : (await c.run(`INSERT INTO customers ${customersSql(1, customers)}`)).rowsChanged;
      return { customers: inserted };
    }),
  );
}

/** What {@link mutateWarehouse} changed. The id lists are disjoint. */
export interface MutationResult {
  updated: number;
  inserted: number;
  deleted: number;
  ids: { updated: number[]; inserted: number[]; deleted: number[] };
}

const idList = async (c: DuckDBConnection, sql: string) => (await c.runAndReadAll(sql)).getRows().map((r) => Number(r[0]));

/**
 * One batch of business in one transaction: `updates` customers move one lifecycle stage on,
 * get a new churn score and `updated_at = now (UTC)`; `inserts` new customers sign up with
 * the next ids; `deletes` other customers are erased. Which rows change varies with `seed`
 * (default: the clock), so every demo round touches different customers.
 */
export async function mutateWarehouse(
  file: string,
  { updates = 0, inserts = 0, deletes = 0, seed = Date.now() }: { updates?: number; inserts?: number; deletes?: number; seed?: number } = {},
): Promise<MutationResult> {
  count(updates, 'updates');
  count(inserts, 'inserts');
  count(deletes, 'deletes');
  count(seed, 'seed');
  const now = new Date().toISOString().replace('Z', '');
  return withWarehouse(file, (c) =>
    inTransaction(c, async () => {
      const shuffled = (n: number, except: string) =>
        `SELECT customer_id FROM customers WHERE ${except} ORDER BY hash(customer_id, ${seed}::BIGINT), customer_id LIMIT ${n}`;
      const updatedIds = await idList(c, shuffled(updates, 'true'));
      const deletedIds = await idList(c, shuffled(deletes, `customer_id NOT IN (SELECT unnest([${updatedIds.join(',')}]::BIGINT[]))`));
      const next = ((await idList(c, 'SELECT coalesce(max(customer_id), 0) FROM customers'))[0] ?? 0) + 1;
      const stages = sqlList(LIFECYCLE_STAGES);
      const updated = updatedIds.length === 0 ? 0 : (await c.run(
        `UPDATE customers SET
           lifecycle_stage = ${stages}[(list_position(${stages}, lifecycle_stage) % ${LIFECYCLE_STAGES.length}) + 1],
           churn_score = round((churn_score + 0.137) % 1, 3),
           updated_at = CAST('${now}' AS TIMESTAMP)
         WHERE customer_id IN (SELECT unnest([${updatedIds.join(',')}]::BIGINT[]))`,
      )).rowsChanged;
      const deleted = deletedIds.length === 0 ? 0 : (await c.run(
        `DELETE FROM customers WHERE customer_id IN (SELECT unnest([${deletedIds.join(',')}]::BIGINT[]))`,
      )).rowsChanged;
      const insertedIds = Array.from({ length: inserts }, (_, i) => next + i);
      const inserted = inserts === 0 ? 0 : (await c.run(
        `INSERT INTO customers SELECT * REPLACE (CAST('${now}' AS TIMESTAMP) AS updated_at) FROM (${customersSql(next, next + inserts - 1)}) AS fresh(customer_id, email, first_name, last_name, phone, country, lifecycle_stage, ltv_tier, churn_score, consent_email, consent_ads, updated_at)`,
      )).rowsChanged;
      return { updated, inserted, deleted, ids: { updated: updatedIds, inserted: insertedIds, deleted: deletedIds } };
    }),
  );
}

function flag(args: string[], name: string): number | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const n = Number(args[i + 1]);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} needs a whole number`);
  return n;
}

async function main(args: string[]): Promise<void> {
  const file = args[0];
  if (!file || file.startsWith('--')) {
    console.error('usage: seed-warehouse.ts <path> [--customers N] | <path> --mutate [--updates N] [--inserts N] [--deletes N]');
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  if (args.includes('--mutate')) {
    const r = await mutateWarehouse(file, { updates: flag(args, 'updates') ?? 1000, inserts: flag(args, 'inserts') ?? 100, deletes: flag(args, 'deletes') ?? 50 });
    console.log(`${file}: updated ${r.updated}, inserted ${r.inserted}, deleted ${r.deleted} customers in ${Date.now() - started} ms`);
  } else {
    const r = await seedWarehouse(file, { customers: flag(args, 'customers') });
    console.log(`${file}: seeded ${r.customers} customers in ${Date.now() - started} ms`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
