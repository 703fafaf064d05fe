/**
 * `changeDetection.mode: cdc` planned through the real snowflake-sdk against the test Snowflake
 * server (DuckDB-backed, with change tracking and time travel): a full read at the pin first,
 * then only the keys CHANGES reports; deletes as removes; rejected rows held back and read again;
 * a key changed and changed back sends nothing; a retried plan reuses the run's pin; and the
 * config errors for an untracked table, a point older than the history, a source without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import snowflake from 'snowflake-sdk';
import { createConnectorContext } from '../connectors/context';
import { isEbbError } from '../domain/errors';
import type { RunPlan } from '../domain/plan';
import { syncSpecSchema, type SyncSpec } from '../domain/spec/schema';
import { openDuckdbDriver } from '../state/duckdb-driver';
import { SafetyStore } from '../state/safety-store';
import { StateStore } from '../state/store';
import { startSnowflakeServer, type SnowflakeServer } from '../test/servers/snowflake/server';
import { openSource } from './connect';
import { planRun } from './plan';

process.env.EBB_CDC_PW = 'pw';
snowflake.configure({ logLevel: 'OFF' });
const dir = mkdtempSync(path.join(tmpdir(), 'ebb-cdc-'));
const ctx = createConnectorContext({ baseDir: dir, env: { ...process.env } });

describe('changeDetection.mode cdc on Snowflake (CHANGES and time travel)', () => {
  let db: DuckDBInstance;
  let writer: DuckDBConnection;
  let server: SnowflakeServer;
  let sf: snowflake.Connection;
  let store: StateStore;
  let n = 0;

  /** A statement through snowflake-sdk, so the server versions its effect at its own time. */
  const sfRun = (sqlText: string) => new Promise<void>((resolve, reject) => sf.execute({ sqlText, complete: (err) => (err ? reject(err) : resolve()) }));

  const MAPPING = { id: 'id', email: 'email', stage: 'stage' };
  const spec = (table = 'people', mapping: Record<string, unknown> = MAPPING): SyncSpec =>
    syncSpecSchema.parse({
      name: 'people-cdc',
      source: { kind: 'snowflake', connection: { account: 'test', username: 'EBB', password: { env: 'EBB_CDC_PW' }, accessUrl: server.url } },
      model: { table },
      primaryKey: 'id',
      changeDetection: { mode: 'cdc' },
      destinations: [{ name: 'd', kind: 'file', object: 'x', mode: 'mirror', batchSize: 40, mapping }],
    });

  /** Plans one attempt of a run. */
  async function plan(runId: string, s = spec(), fullResync = false): Promise<RunPlan> {
    const source = openSource(s.source, ctx);
    try {
      await store.startRun({ runId, sync: s.name, specHash: 'h', workflowId: 'w' });
      return await planRun({ spec: s, runId, fullResync, store, source });
    } finally {
      await source.close();
    }
  }

  /** The planned change set: `key kind op payload`, by key (seqs follow the diff's order). */
  async function changes(runId: string): Promise<string[]> {
    const rows = await store.driver.query<{ key: string; kind: string; op: string; payload: string | null }>(`SELECT key, kind, op, payload FROM ebb_changes WHERE run_id = $1 AND dest = 'd' ORDER BY key`, [runId]);
    return rows.map((r) => `${r.key} ${r.kind} ${r.op}${r.payload ? ` ${r.payload}` : ''}`);
  }

  /** Acknowledges every chunk (rejecting `reject`) and commits with the plan's high mark. */
  async function applyAndCommit(runId: string, p: RunPlan, reject: string[] = []) {
    for (let c = 0; c < p.destinations[0].chunks; c++) {
      const rows = await store.readChunk(runId, 'd', c);
      await store.recordChunk(runId, 'd', c, rows.map((r) => (reject.includes(r.key) ? { seq: r.seq, key: r.key, status: 'rejected' as const, reason: 'no' } : { seq: r.seq, key: r.key, status: 'ok' as const })));
    }
    return store.commitDestination({ runId, sync: 'people-cdc', dest: 'd', watermarkHigh: p.watermarkHigh });
  }

  /** Plans, checks the change set, applies and commits a fresh run. */
  async function run(o: { reject?: string[]; fullResync?: boolean; mapping?: Record<string, unknown> } = {}) {
    const runId = `run-${++n}`;
    const p = await plan(runId, spec('people', o.mapping), o.fullResync ?? false);
    const set = await changes(runId);
    const commit = await applyAndCommit(runId, p, o.reject);
    return { runId, plan: p, d: p.destinations[0], set, commit };
  }

  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    writer = await db.connect();
    server = await startSnowflakeServer({ instance: db, username: 'EBB', password: 'pw', chunkRows: 64 });
    sf = snowflake.createConnection({ account: 'test', username: 'EBB', password: 'pw', accessUrl: server.url });
    await new Promise<void>((resolve, reject) => sf.connect((err) => (err ? reject(err) : resolve())));
    await writer.run(`CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR, stage VARCHAR)`);
    await writer.run(`INSERT INTO people SELECT i, 'p' || i || '@x.com', 'lead' FROM range(1, 201) t(i)`);
    await writer.run(`CREATE TABLE untracked (id INTEGER PRIMARY KEY, email VARCHAR, stage VARCHAR)`);
    await sfRun('ALTER TABLE people SET CHANGE_TRACKING = TRUE');
    store = new StateStore(await openDuckdbDriver(':memory:'));
    await store.migrate();
  });
  after(async () => {
    await store?.close();
    await new Promise<void>((resolve) => sf?.destroy(() => resolve()));
    await server?.close();
    writer?.closeSync();
    db?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first run reads the whole table at its pinned time, and the pin becomes the committed point', async () => {
    const r = await run();
    assert.equal(r.plan.rowsRead, 200);
    assert.equal(r.d.adds, 200);
    const pin = await store.runPin(r.runId);
    assert.ok(pin && r.plan.watermarkHigh === pin);
    assert.equal(r.commit.watermark, pin, 'nothing pending: the point moves to the pin');
  });

  test('a later run reads only the changed keys: updates, inserts, deletes (mirror removes)', async () => {
    await writer.run(`UPDATE people SET stage = 'mql' WHERE id IN (1, 2, 3)`);
    await writer.run(`INSERT INTO people VALUES (201, 'p201@x.com', 'lead'), (202, 'p202@x.com', 'lead')`);
    await writer.run(`DELETE FROM people WHERE id IN (50, 51)`);
    const before = server.calls.query ?? 0;
    const r = await run();
    assert.equal(r.plan.rowsRead, 7, 'only the seven changed keys left the warehouse');
    assert.deepEqual([r.d.changes, r.d.adds, r.d.removes, r.d.total], [3, 2, 2, 7]);
    assert.equal(r.d.unchanged, 200 - 5, 'the rows the change set did not touch count as unchanged');
    assert.deepEqual(
      r.set.filter((s) => s.includes('remove')),
      ['50 remove delete', '51 remove delete'],
    );
    assert.ok((server.calls.query ?? 0) - before <= 6, 'a handful of statements, not a full read');
    assert.equal(r.commit.watermark, await store.runPin(r.runId));
  });

  test('a rejected row holds the point back and is read again next run; nothing else is resent', async () => {
    await writer.run(`UPDATE people SET email = 'new' || id || '@x.com' WHERE id IN (10, 11)`);
    const previousPoint = await store.watermark('people-cdc', 'd');
    const r1 = await run({ reject: ['10'] });
    assert.equal(r1.d.changes, 2);
    assert.equal(r1.commit.pending, 1);
    assert.equal(r1.commit.watermark, previousPoint, 'the point stays where the run started reading');
    const r2 = await run();
    assert.equal(r2.plan.rowsRead, 2, 'both keys are read again from the held point');
    assert.deepEqual(r2.set, ['10 change upsert {"email":"new10@x.com","id":10,"stage":"lead"}'], 'only the rejected one is sent again');
    assert.equal(r2.commit.watermark, await store.runPin(r2.runId), 'nothing pending: the point moves on');
    const r3 = await run();
    assert.deepEqual([r3.plan.rowsRead, r3.d.total], [0, 0]);
  });

  test('a delete the destination did not take holds the point back too, and is planned again', async () => {
    await writer.run(`DELETE FROM people WHERE id = 60`);
    const previousPoint = await store.watermark('people-cdc', 'd');
    const r1 = await run({ reject: ['60'] });
    assert.deepEqual(r1.set, ['60 remove delete']);
    assert.equal(r1.commit.watermark, previousPoint);
    const r2 = await run();
    assert.deepEqual(r2.set, ['60 remove delete']);
    assert.equal(r2.commit.watermark, await store.runPin(r2.runId));
  });

  test('a key changed and changed back sends nothing (the hash diff sees the same payload)', async () => {
    await sfRun(`UPDATE people SET stage = 'sql' WHERE id = 20`);
    await sfRun(`UPDATE people SET stage = 'lead' WHERE id = 20`);
    const r = await run();
    assert.equal(r.plan.rowsRead, 1, 'CHANGES reports the key: its row version changed');
    assert.equal(r.d.total, 0);
  });

  test('a retried plan of the same run reuses its pin: both attempts plan the same data', async () => {
    await sfRun(`UPDATE people SET stage = 'customer' WHERE id = 30`);
    const runId = `run-${++n}`;
    const first = await plan(runId);
    const firstSet = await changes(runId);
    await sfRun(`UPDATE people SET stage = 'customer' WHERE id = 31`); // after the pin
    const second = await plan(runId);
    assert.deepEqual(await changes(runId), firstSet);
    assert.deepEqual(firstSet.map((s) => s.split(' ')[0]), ['30']);
    assert.equal(second.watermarkHigh, first.watermarkHigh);
    await applyAndCommit(runId, second);
    const next = await run();
    assert.deepEqual(next.set.map((s) => s.split(' ')[0]), ['31'], 'the change after the pin comes with the next run');
  });

  test('a mapping change reads the whole table once, so rows the change set does not touch are remapped', async () => {
    const upper = { ...MAPPING, email: { column: 'email', transform: ['uppercase'] } };
    const held = await store.snapshotSize('people-cdc', 'd');
    const r1 = await run({ mapping: upper });
    assert.equal(r1.plan.rowsRead, held);
    assert.equal(r1.d.changes, held, 'every row maps differently now');
    const r2 = await run({ mapping: upper });
    assert.deepEqual([r2.plan.rowsRead, r2.d.total], [0, 0], 'the same basis reads the change set again');
    const back = await run();
    assert.equal(back.plan.rowsRead, held);
  });

  test('after a rollback the next run reads the whole table: the snapshot forgot the rolled-back keys', async () => {
    await writer.run(`UPDATE people SET stage = 'rolled' WHERE id = 70`);
    const r = await run();
    assert.deepEqual(r.set.map((s) => s.split(' ')[0]), ['70']);
    await new SafetyStore(store.driver).finishRollback({ runId: r.runId, sync: 'people-cdc', dest: 'd', reason: 'test', counts: { restored: 1, deleted: 0, failed: 0 } });
    const next = await run();
    assert.equal(next.plan.rowsRead, await store.snapshotSize('people-cdc', 'd'), 'a full read');
    assert.deepEqual(next.set.map((s) => s.split(' ')[0]), ['70'], 'the rolled-back key is sent again');
    const after = await run();
    assert.equal(after.plan.rowsRead, 0, 'then change sets again');
  });

  test('a table without change tracking is a config error naming the sync, the table and the fix', async () => {
    const err = await plan(`run-${++n}`, spec('untracked')).then(
      () => assert.fail('planned'),
      (e: unknown) => e,
    );
    assert.ok(isEbbError(err) && err.kind === 'config' && err.nonRetryable);
    assert.match(err.message, /sync "people-cdc".*table "untracked" has no change tracking.*changeDetection\.mode "cdc".*ALTER TABLE untracked SET CHANGE_TRACKING = TRUE/);
    assert.equal(err.context.path, 'changeDetection.mode');
  });

  test('a committed point older than the change-tracking history asks for a full resync, which recovers', async () => {
    // Replacing the table restarts its history: the committed point is now before it.
    await sfRun(`CREATE OR REPLACE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR, stage VARCHAR) CHANGE_TRACKING = TRUE`);
    await sfRun(`INSERT INTO people VALUES (1, 'p1@x.com', 'lead')`);
    const err = await run().then(
      () => assert.fail('planned'),
      (e: unknown) => e,
    );
    assert.ok(isEbbError(err) && err.kind === 'config');
    assert.match(err.message, /no longer has the changes of table "people".*fullResync/);
    const held = await store.snapshotSize('people-cdc', 'd');
    const r = await run({ fullResync: true });
    assert.equal(r.plan.rowsRead, 1);
    assert.equal(r.d.removes, held - 1, 'a full read detects every key gone');
    assert.equal(await store.snapshotSize('people-cdc', 'd'), 1);
  });

  test('diff mode pins its read by time travel where the table has history: a retried plan reads the same rows', async () => {
    const diff = (table: string): SyncSpec => ({ ...spec(table), name: `${table}-diff`, changeDetection: { mode: 'diff' } });
    const runId = `run-${++n}`;
    const first = await plan(runId, diff('people'));
    const firstSet = await changes(runId);
    await sfRun(`INSERT INTO people VALUES (500, 'p500@x.com', 'lead')`);
    const second = await plan(runId, diff('people'));
    assert.equal(second.rowsRead, first.rowsRead);
    assert.deepEqual(await changes(runId), firstSet);
    const later = await plan(`run-${++n}`, diff('people'));
    assert.equal(later.rowsRead, first.rowsRead + 1, 'a new run pins anew');
    // Without history (an untracked table here; retention 0 in Snowflake) the read is not pinned.
    await writer.run(`INSERT INTO untracked VALUES (1, 'u1@x.com', 'lead')`);
    const plain = await plan(`run-${++n}`, diff('untracked'));
    assert.equal(plain.rowsRead, 1);
  });

  test('switching the sync from cdc to watermark mode starts the watermark over: a cdc point is no cursor', async () => {
    const s: SyncSpec = { ...spec(), changeDetection: { mode: 'watermark', column: 'id', lookback: 0 } };
    const [[count]] = (await writer.runAndReadAll('SELECT count(*) FROM people')).getRows();
    assert.ok((await store.watermark('people-cdc', 'd'))! > 1e12, 'the committed point is a time');
    assert.equal((await plan(`run-${++n}`, s)).rowsRead, Number(count));
  });

  test('mode cdc on a source without change tracking names the source kind; a SQL model is refused by the spec', async () => {
    const file = path.join(dir, 'w.duckdb');
    const local = await DuckDBInstance.create(file);
    const c = await local.connect();
    await c.run(`CREATE TABLE people (id INTEGER, email VARCHAR, stage VARCHAR)`);
    c.closeSync();
    local.closeSync();
    const s = { ...spec(), source: { kind: 'duckdb', connection: { path: file } } };
    await assert.rejects(plan(`run-${++n}`, s), (e: unknown) => isEbbError(e) && e.kind === 'config' && /source kind "duckdb" has no change tracking/.test(e.message));
    const parsed = syncSpecSchema.safeParse({ ...spec(), model: { sql: 'select * from people' } });
    assert.ok(!parsed.success);
    assert.deepEqual(parsed.error.issues.map((i) => i.path.join('.')), ['model']);
  });
});
