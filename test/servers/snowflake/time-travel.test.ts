/**
 * The test server's time travel and change tracking, through the real snowflake-sdk: AT and
 * BEFORE by timestamp and by statement, the CHANGES clause's net changes with Snowflake's
 * metadata columns, and Snowflake's errors for untracked tables and times before tracking.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import snowflake from 'snowflake-sdk';
import { startSnowflakeServer, type SnowflakeServer } from './server';

snowflake.configure({ logLevel: 'OFF' });

describe('snowflake test server: time travel and change tracking', () => {
  let db: DuckDBInstance;
  let server: SnowflakeServer;
  let conn: snowflake.Connection;

  /** Runs a statement; resolves with its rows and its query id. */
  const run = (sqlText: string) =>
    new Promise<{ rows: Record<string, unknown>[]; id: string }>((resolve, reject) =>
      conn.execute({ sqlText, fetchAsString: ['Number'], complete: (err, stmt, rows) => (err ? reject(err) : resolve({ rows: (rows ?? []) as Record<string, unknown>[], id: stmt.getQueryId() })) }),
    );
  const now = async () => ((await run('SELECT CURRENT_TIMESTAMP() AS NOW')).rows[0].NOW as { getEpochSeconds(): number; getNanoSeconds(): number });
  const ms = (d: { getEpochSeconds(): number; getNanoSeconds(): number }) => Math.floor(d.getEpochSeconds()) * 1000 + Math.floor(d.getNanoSeconds() / 1e6);
  const ids = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    server = await startSnowflakeServer({ instance: db, username: 'U', password: 'pw' });
    conn = snowflake.createConnection({ account: 'test', username: 'U', password: 'pw', accessUrl: server.url });
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    await run('CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR)');
    await run(`INSERT INTO people VALUES (1, 'a@x'), (2, 'b@x'), (3, 'c@x')`);
  });
  after(async () => {
    await new Promise<void>((resolve) => conn?.destroy(() => resolve()));
    await server?.close();
    db?.closeSync();
  });

  test('time travel and CHANGES on a table without change tracking fail as Snowflake does', async () => {
    const t = ms(await now());
    await assert.rejects(run(`SELECT * FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t}, 3))`), (e: { code?: string; message: string }) => e.code === '000707' && /Time travel data is not available for table PEOPLE/.test(e.message));
    await assert.rejects(
      run(`SELECT id FROM people CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t}, 3))`),
      /Change tracking is not enabled or has been missing for the time range requested on table 'PEOPLE'/,
    );
  });

  test('AT and BEFORE read the table as it was; CHANGES returns the net changes with metadata', async () => {
    const before = ms(await now());
    await run('ALTER TABLE people SET CHANGE_TRACKING = TRUE');
    const t0 = ms(await now());
    const update = await run(`UPDATE people SET email = 'b2@x' WHERE id = 2`);
    await run('DELETE FROM people WHERE id = 3');
    await run(`INSERT INTO people VALUES (4, 'd@x'), (5, 'e@x')`);
    await run('DELETE FROM people WHERE id = 5'); // inserted and deleted in the window: nets out
    const t1 = ms(await now());
    await run(`UPDATE people SET email = 'a2@x' WHERE id = 1`);

    assert.deepEqual(ids((await run(`SELECT id FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t0}, 3))`)).rows), [1, 2, 3]);
    assert.deepEqual(ids((await run(`SELECT p.id FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t1}, 3)) p WHERE p.id > 1`)).rows), [2, 4]);
    const [b] = (await run(`SELECT email FROM people BEFORE(STATEMENT => '${update.id}') WHERE id = 2`)).rows;
    assert.equal(b.email, 'b@x');
    const [a] = (await run(`SELECT email FROM people AT(STATEMENT => '${update.id}') WHERE id = 2`)).rows;
    assert.equal(a.email, 'b2@x');
    assert.equal((await run(`SELECT email FROM people AT(TIMESTAMP => '${new Date(t1).toISOString()}'::TIMESTAMP_LTZ) WHERE id = 1`)).rows[0].email, 'a@x');

    const changes = (await run(`SELECT id, email, METADATA$ACTION, METADATA$ISUPDATE, METADATA$ROW_ID FROM people CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t0}, 3)) END(TIMESTAMP => TO_TIMESTAMP_LTZ(${t1}, 3)) ORDER BY id, METADATA$ACTION`)).rows;
    assert.deepEqual(
      changes.map((r) => [Number(r.id), r.email, r.METADATA$ACTION, r.METADATA$ISUPDATE]),
      [
        [2, 'b@x', 'DELETE', true],
        [2, 'b2@x', 'INSERT', true],
        [3, 'c@x', 'DELETE', false],
        [4, 'd@x', 'INSERT', false],
      ],
    );
    assert.equal(changes[0].METADATA$ROW_ID, changes[1].METADATA$ROW_ID, 'an update keeps its row id');
    // Without END: up to now, so the later update of 1 is in.
    assert.deepEqual(ids((await run(`SELECT DISTINCT id FROM people CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t0}, 3))`)).rows), [1, 2, 3, 4]);
    // APPEND_ONLY: rows inserted in the window, even the one deleted since.
    assert.deepEqual(ids((await run(`SELECT id FROM people CHANGES(INFORMATION => APPEND_ONLY) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t0}, 3)) END(TIMESTAMP => TO_TIMESTAMP_LTZ(${t1}, 3))`)).rows), [4, 5]);

    // Before change tracking started, there is no history to read.
    await assert.rejects(run(`SELECT id FROM people CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${before}, 3))`), /Change tracking is not enabled or has been missing/);
    await assert.rejects(run(`SELECT id FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${before}, 3))`), /Time travel data is not available for table PEOPLE/);
  });

  test('rows written straight into DuckDB are versioned at the next query; CREATE OR REPLACE ends tracking', async () => {
    const t = ms(await now());
    const c = await db.connect();
    await c.run(`INSERT INTO people VALUES (9, 'z@x')`);
    c.closeSync();
    assert.deepEqual(ids((await run(`SELECT DISTINCT id FROM people CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t}, 3))`)).rows), [9]);
    assert.equal((await run(`SELECT count(*) AS N FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t}, 3))`)).rows[0].N, '3');
    await run('CREATE OR REPLACE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR)');
    await assert.rejects(run(`SELECT id FROM people AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t}, 3))`), /Time travel data is not available/);
    await run('CREATE TABLE tracked(id INTEGER) CHANGE_TRACKING = TRUE');
    const t2 = ms(await now());
    await run('INSERT INTO tracked VALUES (1)');
    assert.deepEqual(ids((await run(`SELECT id FROM tracked CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => TO_TIMESTAMP_LTZ(${t2}, 3))`)).rows), [1]);
  });
});
