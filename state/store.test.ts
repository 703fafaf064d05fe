import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openDuckdbDriver } from './duckdb-driver';
import { openPostgresDriver } from './postgres-driver';
import { SafetyStore } from './safety-store';
import { RETAINED_RUNS, StateStore } from './store';
import { canonicalJson, rowHash } from '../domain/row-hash';

/** One suite, every engine (Kysely's habit): the embedded DuckDB store and the shared PostgreSQL one. */
const engines: Array<{ name: string; open: () => Promise<{ store: StateStore; cleanup: () => Promise<void> }> }> = [
  {
    name: 'duckdb',
    open: async () => ({ store: new StateStore(await openDuckdbDriver(':memory:')), cleanup: async () => undefined }),
  },
  {
    name: 'postgres',
    open: async () => {
      const url = process.env.EBB_TEST_PG_URL;
      if (!url) throw new Error('EBB_TEST_PG_URL is not set: run the tests with `npm test`');
      const schema = `ebb_test_${randomUUID().slice(0, 8)}`;
      return {
        store: new StateStore(await openPostgresDriver(url, { schema })),
        cleanup: async () => {
          const c = new pg.Client(url);
          await c.connect();
          await c.query(`DROP SCHEMA ${schema} CASCADE`);
          await c.end();
        },
      };
    },
  },
];

for (const engine of engines) {
  describe(`state store on ${engine.name}`, () => {
    let store: StateStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await engine.open());
      await store.migrate();
      await store.migrate(); // idempotent
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    let planHashTotal = '';

    async function stage(runId: string, rows: Array<[key: string, hash: string, cursor?: number]>) {
      await store.startRun({ runId, sync: 's', specHash: 'h', workflowId: 'w' });
      await store.resetRun(runId);
      const w = await store.openStage(runId);
      for (const [key, hash, cursor] of rows) {
        await w.append({ dest: 'd', key, cursor: cursor ?? null, destId: JSON.stringify(key), payload: JSON.stringify({ h: hash, id: key }) });
      }
      await w.close();
    }

    async function ackAll(runId: string, chunks: number, rejectKeys: string[] = []) {
      for (let c = 0; c < chunks; c++) {
        const rows = await store.readChunk(runId, 'd', c);
        await store.recordChunk(
          runId,
          'd',
          c,
          rows.map((r) => (rejectKeys.includes(r.key) ? { seq: r.seq, key: r.key, status: 'rejected' as const, reason: 'bad email' } : { seq: r.seq, key: r.key, status: 'ok' as const })),
        );
      }
    }

    it('plans adds, changes and removes against the committed snapshot, with dense seqs', async () => {
      await stage('r1', [['a', '1'], ['b', '1'], ['c', '1']]);
      const p1 = await store.diffDestination({ runId: 'r1', sync: 's', dest: 'd', mode: 'mirror', chunkSize: 2, detectRemoves: true, fullResync: false });
      assert.deepEqual([p1.adds, p1.changes, p1.removes, p1.total, p1.chunks], [3, 0, 0, 3, 2]);
      const seqs = [...(await store.readChunk('r1', 'd', 0)), ...(await store.readChunk('r1', 'd', 1))].map((c) => c.seq);
      assert.deepEqual(seqs, [1, 2, 3]);
      await store.dropStage('r1');
      await ackAll('r1', 2);
      const c1 = await store.commitDestination({ runId: 'r1', sync: 's', dest: 'd' });
      assert.deepEqual([c1.committed, c1.pending, c1.watermark], [3, 0, undefined]);
      assert.equal(c1.hashTotal, p1.hashTotal, 'hash total after = before when every row was acknowledged');
      assert.equal(c1.pendingHashTotal, '0/0');
      assert.equal(await store.snapshotSize('s', 'd'), 3);

      await stage('r2', [['a', '1'], ['b', '2'], ['d', '1']]); // b changed, c removed, d added
      const p2 = await store.diffDestination({ runId: 'r2', sync: 's', dest: 'd', mode: 'mirror', chunkSize: 10, detectRemoves: true, fullResync: false });
      planHashTotal = p2.hashTotal!;
      assert.deepEqual([p2.adds, p2.changes, p2.removes, p2.unchanged], [1, 1, 1, 1]);
      const ops = (await store.readChunk('r2', 'd', 0)).map((c) => `${c.key}:${c.op}`);
      assert.deepEqual(ops.sort(), ['b:upsert', 'c:delete', 'd:upsert']);
      const del = (await store.readChunk('r2', 'd', 0)).find((c) => c.op === 'delete');
      assert.equal(del?.payload, null);
      assert.equal(del?.destId, JSON.stringify('c'), 'a delete carries the id the destination knows');
    });

    it('commits only acknowledged, non-rejected rows; rejected rows are planned again next run', async () => {
      await ackAll('r2', 1, ['c']); // reject the delete of c
      const r = await store.commitDestination({ runId: 'r2', sync: 's', dest: 'd' });
      assert.deepEqual([r.committed, r.pending], [2, 1]);
      // Hash totals: committed + pending add up to what was planned.
      const [n1, s1] = r.hashTotal!.split('/');
      const [n2, s2] = r.pendingHashTotal!.split('/');
      const planned = (await store.driver.query(`SELECT count(*) AS n FROM ebb_changes WHERE run_id = 'r2' AND dest = 'd'`))[0];
      assert.equal(Number(n1) + Number(n2), Number(planned.n));
      assert.equal(`${Number(n1) + Number(n2)}/${(BigInt(`0x${s1}`) + BigInt(`0x${s2}`)).toString(16)}`, planHashTotal);
      assert.deepEqual((await store.pendingRows('r2', 'd')).map((p) => [p.key, p.status, p.reason]), [['c', 'rejected', 'bad email']]);
      await stage('r3', [['a', '1'], ['b', '2'], ['d', '1']]);
      const p3 = await store.diffDestination({ runId: 'r3', sync: 's', dest: 'd', mode: 'mirror', chunkSize: 10, detectRemoves: true, fullResync: false });
      assert.deepEqual([p3.adds, p3.changes, p3.removes], [0, 0, 1], 'only the rejected delete is retried');
    });

    it('keeps every sent row with its outcome after commit, without its payload', async () => {
      const results = await store.rowResults('r2', 'd');
      assert.deepEqual(results.map((r) => [r.key, r.op, r.status, r.reason]).sort(), [
        ['b', 'upsert', 'ok', null],
        ['c', 'delete', 'rejected', 'bad email'],
        ['d', 'upsert', 'ok', null],
      ]);
      const [payloads] = await store.driver.query(`SELECT count(payload) AS n FROM ebb_changes WHERE run_id = 'r2'`);
      assert.equal(Number(payloads.n), 0, 'row data is dropped at commit');
      assert.deepEqual((await store.rowResults('r2', 'd', { status: 'rejected' })).map((r) => r.key), ['c']);
    });

    it('commit is idempotent and leaves unacknowledged chunks pending', async () => {
      await stage('r4', [['x', '1'], ['y', '1'], ['z', '1']]);
      await store.diffDestination({ runId: 'r4', sync: 's', dest: 'd', mode: 'upsert', chunkSize: 1, detectRemoves: false, fullResync: false });
      const rows = await store.readChunk('r4', 'd', 0);
      await store.recordChunk('r4', 'd', 0, rows.map((x) => ({ seq: x.seq, key: x.key, status: 'ok' as const })));
      const first = await store.commitDestination({ runId: 'r4', sync: 's', dest: 'd' });
      assert.deepEqual([first.committed, first.pending], [1, 2]);
      assert.deepEqual(await store.commitDestination({ runId: 'r4', sync: 's', dest: 'd' }), first);
      assert.deepEqual((await store.rowResults('r4', 'd')).map((r) => r.status), ['ok', 'unsent', 'unsent']);
    });

    it('never commits a watermark past an unacknowledged row', async () => {
      await stage('w1', [['k1', '1', 10], ['k2', '1', 20], ['k3', '1', 30]]);
      await store.diffDestination({ runId: 'w1', sync: 'w', dest: 'd', mode: 'upsert', chunkSize: 1, detectRemoves: false, fullResync: false });
      // k1 and k3 acknowledged, k2 (cursor 20) not
      for (const c of [0, 2]) {
        const rows = await store.readChunk('w1', 'd', c);
        await store.recordChunk('w1', 'd', c, rows.map((x) => ({ seq: x.seq, key: x.key, status: 'ok' as const })));
      }
      const r = await store.commitDestination({ runId: 'w1', sync: 'w', dest: 'd', watermarkHigh: 30 });
      assert.equal(r.watermark, 20);
      assert.equal(await store.watermark('w', 'd'), 20);
    });

    it('hashes rows in SQL exactly as domain/rowHash does, non-ASCII included', async () => {
      const fields = { city: 'Zürich', emoji: '✓', n: 1.5 };
      await stage('hash', [['h1', 'ignored']]);
      const w = await store.openStage('hash2');
      await w.append({ dest: 'd', key: 'h1', cursor: null, destId: '"h1"', payload: canonicalJson(fields) });
      await w.close();
      await store.diffDestination({ runId: 'hash2', sync: 'hashsync', dest: 'd', mode: 'upsert', chunkSize: 10, detectRemoves: false, fullResync: false });
      const [row] = await store.driver.query(`SELECT row_hash FROM ebb_changes WHERE run_id = 'hash2'`);
      assert.equal(row.row_hash, rowHash(fields));
    });

    it('keeps the per-row records of the last RETAINED_RUNS runs of a destination only', async () => {
      for (let i = 0; i < RETAINED_RUNS + 2; i++) {
        const runId = `keep-${String(i).padStart(2, '0')}`;
        await store.startRun({ runId, sync: 'keep', specHash: 'h', workflowId: 'w' });
        const w = await store.openStage(runId);
        await w.append({ dest: 'd', key: 'k', cursor: null, destId: '"k"', payload: JSON.stringify({ v: i }) });
        await w.close();
        await store.diffDestination({ runId, sync: 'keep', dest: 'd', mode: 'upsert', chunkSize: 10, detectRemoves: false, fullResync: false });
        await ackAllOf(runId);
        await store.commitDestination({ runId, sync: 'keep', dest: 'd' });
      }
      const [kept] = await store.driver.query(`SELECT count(DISTINCT run_id) AS n FROM ebb_changes WHERE run_id LIKE 'keep-%'`);
      assert.equal(Number(kept.n), RETAINED_RUNS);
      assert.equal((await store.rowResults('keep-00', 'd')).length, 0, 'the oldest run aged out');
      assert.equal((await store.rowResults(`keep-${RETAINED_RUNS + 1}`, 'd')).length, 1);
    });

    async function ackAllOf(runId: string) {
      const rows = await store.readChunk(runId, 'd', 0);
      await store.recordChunk(runId, 'd', 0, rows.map((r) => ({ seq: r.seq, key: r.key, status: 'ok' as const })));
    }

    it("numbers a destination's first run densely, chunk by chunk, with every staged row once", async () => {
      await stage('first', [['c', '1'], ['e', '1'], ['a', '1'], ['d', '1'], ['b', '1']]);
      const p = await store.diffDestination({ runId: 'first', sync: 'firstsync', dest: 'd', mode: 'mirror', chunkSize: 2, detectRemoves: true, fullResync: false });
      assert.deepEqual([p.adds, p.total, p.chunks, p.duplicates, p.unchanged], [5, 5, 3, 0, 0]);
      const rows = await store.driver.query<{ seq: unknown; chunk: unknown; key: string; kind: string; row_hash: string }>(
        `SELECT seq, chunk, key, kind, row_hash FROM ebb_changes WHERE run_id = 'first' ORDER BY seq`,
      );
      assert.deepEqual(rows.map((r) => [Number(r.seq), Number(r.chunk), r.kind]), [[1, 0, 'add'], [2, 0, 'add'], [3, 1, 'add'], [4, 1, 'add'], [5, 2, 'add']]);
      assert.deepEqual(rows.map((r) => r.key).sort(), ['a', 'b', 'c', 'd', 'e']);
      const a = rows.find((r) => r.key === 'a');
      assert.equal(a?.row_hash, rowHash({ h: '1', id: 'a' }));
    });

    it('cdc: the run pin survives plan attempts; a pending removal holds the point back; points carry their basis and see rollbacks', async () => {
      await store.startRun({ runId: 'c1', sync: 'c', specHash: 'h', workflowId: 'w' });
      assert.equal(await store.runPin('c1'), undefined);
      assert.equal(await store.pinRun('c1', 1000, 'b1'), 1000);
      assert.equal(await store.pinRun('c1', 2000, 'b1'), 1000, 'a retried attempt keeps the first pin');
      await stage('c1', [['k1', '1', 0], ['k2', '1', 0]]);
      const first = await store.diffDestination({ runId: 'c1', sync: 'c', dest: 'd', mode: 'mirror', chunkSize: 10, detectRemoves: true, fullResync: false, removeCursor: 0 });
      await ackAll('c1', first.chunks);
      assert.equal((await store.commitDestination({ runId: 'c1', sync: 'c', dest: 'd', watermarkHigh: 1000 })).watermark, 1000);
      assert.deepEqual(await store.cdcPoints('c'), new Map([['d', { value: 1000, basis: 'b1', rolledBack: false }]]));

      // A change set: k1 removed (a marker); k2 untouched. The removal is rejected.
      await store.startRun({ runId: 'c2', sync: 'c', specHash: 'h', workflowId: 'w' });
      await store.pinRun('c2', 2000, 'b1');
      await store.resetRun('c2');
      const w = await store.openStage('c2');
      await w.append({ dest: 'd', key: 'k1', cursor: 1000, destId: '', payload: '', removed: true });
      await w.close();
      const second = await store.diffDestination({ runId: 'c2', sync: 'c', dest: 'd', mode: 'mirror', chunkSize: 10, detectRemoves: true, fullResync: false, warehouse: { subset: true }, removeCursor: 1000 });
      assert.deepEqual([second.removes, second.unchanged, second.total], [1, 1, 1], 'k2, outside the change set, counts as unchanged');
      await ackAll('c2', second.chunks, ['k1']);
      const held = await store.commitDestination({ runId: 'c2', sync: 'c', dest: 'd', watermarkHigh: 2000 });
      assert.deepEqual([held.pending, held.watermark], [1, 1000], 'the pending delete holds the point where the run read from');

      await new SafetyStore(store.driver).finishRollback({ runId: 'c2', sync: 'c', dest: 'd', reason: 'test', counts: { restored: 0, deleted: 0, failed: 0 } });
      assert.equal((await store.cdcPoints('c')).get('d')?.rolledBack, true);
    });

    it('excludes and counts rows that share a primary key', async () => {
      await stage('dup', [['p', '1'], ['p', '2'], ['q', '1']]);
      const p = await store.diffDestination({ runId: 'dup', sync: 'dupsync', dest: 'd', mode: 'upsert', chunkSize: 10, detectRemoves: true, fullResync: false });
      assert.deepEqual([p.adds, p.duplicates, p.total], [1, 2, 1]);
    });
  });
}
