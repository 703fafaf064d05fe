import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { LIFECYCLE_STAGES, LTV_TIERS, mutateWarehouse, seedWarehouse } from './seed-warehouse';

const dir = mkdtempSync(path.join(tmpdir(), 'ebb-seed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Reads with a separate read-only instance, as a source in another process would. */
async function query(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const c = await instance.connect();
    const rows = (await c.runAndReadAll(sql)).getRowObjectsJson();
    c.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

test('seedWarehouse: 1,000 realistic customers, the same ones every time', async () => {
  const file = path.join(dir, 'seed.duckdb');
  assert.deepEqual(await seedWarehouse(file, { customers: 1000 }), { customers: 1000 });
  const columns = await query(file, 'DESCRIBE customers');
  assert.deepEqual(
    columns.map((c) => `${c.column_name} ${c.column_type}`),
    ['customer_id BIGINT', 'email VARCHAR', 'first_name VARCHAR', 'last_name VARCHAR', 'phone VARCHAR', 'country VARCHAR',
      'lifecycle_stage VARCHAR', 'ltv_tier VARCHAR', 'churn_score DOUBLE', 'consent_email BOOLEAN', 'consent_ads BOOLEAN', 'updated_at TIMESTAMP'],
  );
  const [stats] = await query(file, `
    SELECT count(*)::INT AS n, min(customer_id)::INT AS lo, max(customer_id)::INT AS hi, count(DISTINCT email)::INT AS emails,
           bool_and(regexp_full_match(email, '[a-z-]+\\.[a-z-]+\\.' || customer_id || '@example\\.com')) AS email_shape,
           bool_and(churn_score BETWEEN 0 AND 1 AND churn_score = round(churn_score, 3)) AS churn_ok,
           bool_and(length(country) = 2 AND regexp_full_match(phone, '\\+1555\\d{7}')) AS contact_ok,
           list_sort(list_distinct(list(lifecycle_stage))) AS stages, list_sort(list_distinct(list(ltv_tier))) AS tiers,
           count(*) FILTER (consent_email)::INT AS consented
    FROM customers`);
  const { consented, ...shape } = stats;
  assert.deepEqual(shape, {
    n: 1000, lo: 1, hi: 1000, emails: 1000, email_shape: true, churn_ok: true, contact_ok: true,
    stages: [...LIFECYCLE_STAGES].sort(), tiers: [...LTV_TIERS].sort(),
  });
  assert.ok(Number(consented) > 600 && Number(consented) < 800, 'about 70% consent to email');

  // A whole-row fingerprint: the sum of every row's hash (the row as a struct).
  const fingerprint = 'SELECT sum(hash(c))::VARCHAR AS h, count(*)::INT AS n FROM customers AS c';
  const first = await query(file, fingerprint);
  await seedWarehouse(file, { customers: 1000 });
  assert.deepEqual(await query(file, fingerprint), first, 'reseeding replaces the table with identical rows');
});

test('mutateWarehouse: exact, disjoint updates, inserts and deletes in one go', async () => {
  const file = path.join(dir, 'mutate.duckdb');
  await seedWarehouse(file, { customers: 1000 });
  const before = await query(file, 'SELECT customer_id::INT AS id, lifecycle_stage, churn_score, updated_at FROM customers');
  const byId = new Map(before.map((r) => [Number(r.id), r]));

  const result = await mutateWarehouse(file, { updates: 100, inserts: 25, deletes: 10, seed: 7 });
  assert.deepEqual([result.updated, result.inserted, result.deleted], [100, 25, 10]);
  assert.deepEqual([result.ids.updated.length, result.ids.inserted.length, result.ids.deleted.length], [100, 25, 10]);
  assert.deepEqual(result.ids.inserted, Array.from({ length: 25 }, (_, i) => 1001 + i));
  assert.equal(new Set([...result.ids.updated, ...result.ids.deleted]).size, 110, 'no id is both updated and deleted');

  const [counts] = await query(file, `SELECT count(*)::INT AS n,
      count(*) FILTER (customer_id IN (${result.ids.deleted.join(',')}))::INT AS deleted_left,
      count(*) FILTER (customer_id IN (${result.ids.inserted.join(',')}))::INT AS inserted_there FROM customers`);
  assert.deepEqual(counts, { n: 1015, deleted_left: 0, inserted_there: 25 });

  const after = await query(file, `SELECT customer_id::INT AS id, lifecycle_stage, churn_score, updated_at FROM customers
                                   WHERE customer_id IN (${result.ids.updated.join(',')})`);
  assert.equal(after.length, 100);
  for (const row of after) {
    const old = byId.get(Number(row.id));
    assert.ok(old);
    const step = (LIFECYCLE_STAGES.indexOf(old.lifecycle_stage as never) + 1) % LIFECYCLE_STAGES.length;
    assert.equal(row.lifecycle_stage, LIFECYCLE_STAGES[step], 'moved one stage on');
    assert.notEqual(row.churn_score, old.churn_score);
    assert.ok(String(row.updated_at) > String(old.updated_at), 'updated_at bumped to now');
  }
  const [untouched] = await query(file, `SELECT count(*)::INT AS n FROM customers WHERE updated_at >= TIMESTAMP '2025-01-01'`);
  assert.equal(untouched.n, 125, 'only updated and inserted rows carry the new updated_at');

  const again = await mutateWarehouse(file, { updates: 100, seed: 8 });
  assert.notDeepEqual(again.ids.updated, result.ids.updated, 'another seed touches other customers');
});
