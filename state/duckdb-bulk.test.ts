import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { textBulkLoader } from './duckdb-bulk';

describe('DuckDB text bulk loader', () => {
  test('loads every value as given: nulls, empty strings, doubles, bigints, unicode, separators', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await c.run(`CREATE TABLE t (s VARCHAR, d DOUBLE, b BIGINT)`);
      const cols = [{ name: 's', type: 'varchar' }, { name: 'd', type: 'double' }, { name: 'b', type: 'bigint' }] as const;
      // A tiny batch, so rows cross many inserts (and one is in flight while the next fills).
      const loader = await textBulkLoader(() => instance.connect(), 't', cols, 256);
      const rows: unknown[][] = [
        ['plain', 1.5, 1],
        ['', 0, 0],
        [null, null, null],
        ['{"a":"é ✓ \\n"}', -1e-7, -42],
        ['tab\there', Number.MAX_VALUE, Number.MAX_SAFE_INTEGER],
        ['sep\x1fin\x1erow\x1dnull\x1c', 0.1 + 0.2, 7],
      ];
      for (let i = 0; i < 200; i++) rows.push([`row ${i}`, i / 3, i]);
      for (const r of rows) await loader.append(r);
      await loader.close();
      const got = (await c.runAndReadAll(`SELECT s, d, b FROM t`)).getRows().map((r) => [r[0], r[1], r[2] === null ? null : Number(r[2])]);
      const key = (r: unknown[]) => JSON.stringify(r);
      assert.deepEqual(got.map(key).sort(), rows.map(key).sort());
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  test('a fixed column is sent once and lands in every row, the fallback path included', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await c.run(`CREATE TABLE t (run_id VARCHAR, s VARCHAR, n BIGINT)`);
      const loader = await textBulkLoader(() => instance.connect(), 't', [{ name: 'run_id', type: 'varchar', fixed: 'run-1' }, { name: 's', type: 'varchar' }, { name: 'n', type: 'bigint' }], 32);
      for (let i = 0; i < 50; i++) await loader.append(['run-1', i === 7 ? 'odd\x1f' : `s${i}`, i]);
      await loader.close();
      const [r] = (await c.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT run_id) AS runs, min(run_id) AS run, sum(n) AS total FROM t`)).getRowObjectsJS();
      assert.deepEqual(r, { n: 50n, runs: 1n, run: 'run-1', total: 1225n });
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  test('an insert that fails surfaces at close, not as an unhandled rejection', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    try {
      await c.run(`CREATE TABLE t (s VARCHAR NOT NULL)`);
      const loader = await textBulkLoader(() => instance.connect(), 't', [{ name: 's', type: 'varchar' }]);
      await loader.append([null]);
      await assert.rejects(loader.close(), /NOT NULL/);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });
});
