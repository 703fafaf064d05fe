/**
 * Watermark change detection end to end: only rows at or after the committed watermark minus
 * the lookback are read; late rows inside the lookback are caught; and a failed run leaves the
 * committed watermark and snapshot exactly as they were.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { duckdb } from '../helpers/warehouse';

describe('watermark mode', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  let spec: SyncSpecInput;
  const minute = 60_000;
  const base = Date.UTC(2026, 0, 1);

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_wm');
    process.env.EBB_WM_PG_URL = db.url;
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    // 500 rows, one a minute: 2026-01-01 00:01 … 08:20
    await duckdb(warehouse, `CREATE TABLE events AS SELECT i AS id, 'v1' AS v, TIMESTAMP '2026-01-01 00:00:00' + to_minutes(i) AS updated_at FROM range(1, 501) t(i)`);
    await db.query(`CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)`);
    spec = {
      name: 'wm-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'events' },
      primaryKey: 'id',
      changeDetection: { mode: 'watermark', column: 'updated_at', lookback: '1h' },
      destinations: [{ name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_WM_PG_URL' } }, object: 't', batchSize: 100, mapping: { id: 'id', v: 'v' } }],
    };
  });
  after(async () => {
    await h?.close();
    await db?.drop();
  });

  it('the first run reads everything and commits the highest cursor', async () => {
    const r = await h.run(spec);
    assert.equal(r.rowsRead, 500);
    assert.equal(r.destinations[0].watermark, base + 500 * minute);
    assert.equal(await h.store.watermark('wm-sync', 'pg'), base + 500 * minute);
  });

  it('the next run reads only the lookback window and catches late rows inside it', async () => {
    await duckdb(
      warehouse,
      `INSERT INTO events VALUES (9001, 'late-inside', TIMESTAMP '2026-01-01 08:00:00'), (9002, 'late-outside', TIMESTAMP '2026-01-01 06:00:00')`,
      `UPDATE events SET v = 'v2', updated_at = TIMESTAMP '2026-01-01 08:30:00' WHERE id = 10`,
    );
    const r = await h.run(spec);
    const d = r.destinations[0];
    // read: updated_at >= 08:20 - 1h = 07:20 → ids 440..500 (61 rows), 9001, and the updated id 10
    assert.equal(r.rowsRead, 63);
    assert.deepEqual([d.adds, d.changes, d.unchanged], [1, 1, 61]);
    const ids = (await db.query(`SELECT id FROM t WHERE id > 9000 OR v = 'v2' ORDER BY id`)).rows.map((x) => Number(x.id));
    assert.deepEqual(ids, [10, 9001], 'the late row inside the lookback landed; the one outside it is out of reach by design');
    assert.equal(d.watermark, base + 510 * minute);
  });

  it('a failed run leaves the committed watermark and snapshot intact, and the next run picks up from them', async () => {
    await duckdb(warehouse, `UPDATE events SET v = 'v3', updated_at = TIMESTAMP '2026-01-01 09:00:00' WHERE id = 20`);
    const watermark = await h.store.watermark('wm-sync', 'pg');
    const snapshot = await h.store.snapshotSize('wm-sync', 'pg');
    const good = process.env.EBB_WM_PG_URL;
    const u = new URL(db.url);
    u.username = 'nobody_here';
    process.env.EBB_WM_PG_URL = u.toString();
    await assert.rejects(h.run(spec), /Workflow execution failed/);
    assert.equal(await h.store.watermark('wm-sync', 'pg'), watermark);
    assert.equal(await h.store.snapshotSize('wm-sync', 'pg'), snapshot);

    process.env.EBB_WM_PG_URL = good;
    const r = await h.run(spec);
    assert.deepEqual([r.destinations[0].changes, r.destinations[0].ok], [1, 1]);
    assert.equal((await db.query(`SELECT v FROM t WHERE id = 20`)).rows[0].v, 'v3');
    assert.equal(r.destinations[0].watermark, base + 540 * minute);
  });
});
