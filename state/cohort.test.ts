import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { bucketBound, cohortPredicate } from './cohort';

const keys = Array.from({ length: 2000 }, (_, i) => String(i + 1));
const expected = (percent: number) => keys.filter((k) => parseInt(createHash('md5').update(k).digest('hex').slice(0, 8), 16) < (percent / 100) * 2 ** 32);

describe('canary cohort', () => {
  it('bucket bounds are fixed-width hex', () => {
    assert.equal(bucketBound(50), '80000000');
    assert.equal(bucketBound(10), '19999999');
    assert.equal(bucketBound(0.001), '0000a7c5');
  });

  it('DuckDB and PostgreSQL pick the same keys, the ones md5 buckets say, about p% of them', async () => {
    const want = expected(10);
    assert.ok(want.length > 150 && want.length < 250, `about 10% (${want.length})`);
    const values = keys.map((k) => `('${k}')`).join(',');
    const sql = `SELECT key FROM (VALUES ${values}) t(key) WHERE ${cohortPredicate({ percent: 10 }, 'key', 'seq')} ORDER BY key::int`;

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const fromDuck = (await (await duck.runAndReadAll(sql)).getRowObjects()).map((r) => String(r.key));
    assert.deepEqual(fromDuck, want);

    const url = process.env.EBB_TEST_PG_URL;
    assert.ok(url, 'EBB_TEST_PG_URL is set by npm test');
    const client = new pg.Client(url);
    await client.connect();
    try {
      const fromPg = (await client.query(sql)).rows.map((r: { key: string }) => r.key);
      assert.deepEqual(fromPg, want);
    } finally {
      await client.end();
    }
  });
});
