import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openDuckdbDriver } from './duckdb-driver';
import type { SqlDriver } from './sql-driver';

const MB = 2 ** 20;

/** This process's resident memory, in bytes. */
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

/** DuckDB's own account of its memory, by tag, in bytes. */
async function memory(db: SqlDriver): Promise<{ cached: number; inMemory: number; spilled: number; limit: string }> {
  const [m] = await db.query<{ cached: bigint; in_memory: bigint; spilled: bigint }>(
    `SELECT coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'BASE_TABLE'), 0) AS cached,
            coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'IN_MEMORY_TABLE'), 0) AS in_memory,
            coalesce(sum(temporary_storage_bytes), 0) AS spilled
     FROM duckdb_memory()`,
  );
  const [l] = await db.query<{ value: string }>(`SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'`);
  return { cached: Number(m.cached), inMemory: Number(m.in_memory), spilled: Number(m.spilled), limit: l.value };
}

describe('DuckDB state driver', () => {
  test('the cache of table blocks is dropped once the store is idle; in-memory data stays, the limit is restored', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ebb-duckdb-driver-'));
    const db = await openDuckdbDriver(path.join(dir, 'state.duckdb'), { memoryLimit: '256MB' });
    try {
      const before = await memory(db);
      await db.exec(`CREATE TABLE big AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS s FROM range(3000000) t(i)`);
      await db.exec(`CHECKPOINT`);
      await db.exec(`ATTACH IF NOT EXISTS ':memory:' AS scratch`);
      await db.exec(`CREATE TABLE scratch.kept AS SELECT i, md5(i::VARCHAR) AS s FROM range(200000) t(i)`);
      const held = await db.transaction(async (tx) => {
        // In one transaction the store is never idle: the scan's blocks are still cached here.
        await tx.query(`SELECT sum(length(s)) AS n FROM big`);
        return memory(tx);
      });
      assert.ok(held.cached > 40 * MB, `a 3M-row scan caches its blocks (${Math.round(held.cached / MB)} MB)`);
      // Once the store has been idle a moment, the trim runs (statements wait for it to end).
      await new Promise((r) => setTimeout(r, 1_300));
      const after = await memory(db);
      assert.ok(after.cached < 32 * MB, `cache dropped to ${Math.round(after.cached / MB)} MB`);
      assert.ok(after.inMemory >= held.inMemory && after.inMemory > 0, 'the in-memory table is still in memory');
      assert.equal(after.spilled, 0, 'nothing was written to temp files');
      assert.equal(after.limit, before.limit);
      const [{ n }] = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM big JOIN scratch.kept USING (i)`);
      assert.equal(Number(n), 200_000, 'dropped blocks are read again from the file');
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what a long statement freed goes back to the OS when it ends, not on the allocator\'s timer', async () => {
    const db = await openDuckdbDriver(':memory:', { memoryLimit: '1GB' });
    try {
      const before = rss();
      // A 6M-group aggregate: several hundred MB of hash table, all freed when it ends, and long
      // enough (well over RETURN_FREED_AFTER_MS) to be followed by the return.
      const [{ n }] = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM (SELECT i % 6000000 AS k, count(*) FROM range(12000000) t(i) GROUP BY k)`);
      assert.equal(Number(n), 6_000_000);
      const grown = rss() - before;
      assert.ok(grown < 80 * MB, `resident memory grew by ${Math.round(grown / MB)} MB`);
    } finally {
      await db.close();
    }
  });

  test('statements started while others run all finish, and a bulk load keeps the cache until it closes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ebb-duckdb-driver-'));
    const db = await openDuckdbDriver(path.join(dir, 'state.duckdb'), { memoryLimit: '128MB' });
    try {
      await db.exec(`CREATE TABLE t (k VARCHAR, v BIGINT)`);
      const loader = await db.bulkLoader('t', [
        { name: 'k', type: 'varchar' },
        { name: 'v', type: 'bigint' },
      ]);
      const counts = Array.from({ length: 20 }, (_, i) => db.query<{ n: bigint }>(`SELECT count(*) AS n FROM range(${(i + 1) * 10000})`));
      for (let i = 0; i < 1000; i++) await loader.append([`k${i}`, i]);
      assert.deepEqual((await Promise.all(counts)).map(([r]) => Number(r.n)), Array.from({ length: 20 }, (_, i) => (i + 1) * 10000));
      await loader.close();
      const [{ n }] = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM t`);
      assert.equal(Number(n), 1000);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
