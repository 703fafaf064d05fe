/**
 * End to end with `changeDetection.mode: cdc`: a Snowflake table with change tracking (the real
 * snowflake-sdk over HTTP to test/servers/snowflake, DuckDB-backed, with time travel and the
 * CHANGES clause) → syncWorkflow on a real Temporal dev server → PostgreSQL in mirror mode.
 * The first run reads the table at its pinned time; later runs read only the changed keys;
 * deletes arrive as deletes; a rejected row is read again until it lands; an untracked table
 * fails the run with the fix, without retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import snowflake from 'snowflake-sdk';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { CUSTOMER_CHANGES, SNOWFLAKE_LOGIN, startSnowflakeCustomers, type SnowflakeCustomers } from '../helpers/snowflake-customers';

const SYNC = 'customers-cdc';
snowflake.configure({ logLevel: 'OFF' });

describe('cdc from Snowflake change tracking, end to end (Snowflake → PostgreSQL)', () => {
  let f: SnowflakeCustomers;
  let spec: SyncSpecInput;

  /** A statement through snowflake-sdk (DDL the DuckDB backend does not know, like SET CHANGE_TRACKING). */
  const snowflakeStatement = async (sqlText: string) => {
    const c = snowflake.createConnection({ ...SNOWFLAKE_LOGIN, accessUrl: f.server.url });
    await new Promise<void>((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve())));
    try {
      await new Promise<void>((resolve, reject) => c.execute({ sqlText, complete: (err) => (err ? reject(err) : resolve()) }));
    } finally {
      await new Promise<void>((resolve) => c.destroy(() => resolve()));
    }
  };

  before(async () => {
    f = await startSnowflakeCustomers({ database: 'ebb_cdc_sf', primaryKey: true });
    await f.sql(`CREATE TABLE prospects AS SELECT * FROM customers LIMIT 10`);
    await snowflakeStatement('ALTER TABLE customers SET CHANGE_TRACKING = TRUE');
    spec = f.spec({ name: SYNC, model: { table: 'customers' }, changeDetection: { mode: 'cdc' } });
  });
  after(async () => {
    await f?.close();
  });

  it('first run: the whole table at the pinned time', async () => {
    const r = await f.h.run(spec);
    assert.equal(r.rowsRead, 1_500);
    assert.deepEqual([r.destinations[0].adds, r.destinations[0].committed], [1_500, 1_500]);
    await f.assertDestinationEqualsModel();
  });

  it('later runs read only the changed keys; deletes arrive; a rejected row is read again until it lands', async () => {
    await f.sql(...CUSTOMER_CHANGES);
    const r = await f.h.run(spec);
    const d = r.destinations[0];
    assert.equal(r.rowsRead, 31 + 10 + 5, 'only the changed keys left the warehouse');
    assert.deepEqual([d.adds, d.changes, d.removes, d.rejected], [5, 31, 10, 1]);

    const again = await f.h.run(spec);
    assert.equal(again.rowsRead, 46, 'the point was held back by the rejected row: the same keys are read again');
    assert.deepEqual([again.destinations[0].total, again.destinations[0].rejected], [1, 1], 'only the rejected row is sent again');
    await f.sql(`UPDATE customers SET email = 'fixed.40@example.com' WHERE customer_id = 40`);
    const fixed = await f.h.run(spec);
    assert.deepEqual([fixed.destinations[0].total, fixed.destinations[0].ok, fixed.destinations[0].pending], [1, 1, 0]);
    await f.assertDestinationEqualsModel();
    const unchanged = await f.h.run(spec);
    assert.deepEqual([unchanged.rowsRead, unchanged.destinations[0].total], [0, 0], 'the point moved past everything that landed');
  });

  it('a table without change tracking fails the run with the fix, without retrying', async () => {
    const err = await f.h.run({ ...spec, name: 'prospects-cdc', model: { table: 'prospects' } }).then(
      () => assert.fail('the run succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'EbbConfigError');
    assert.equal(err.cause.cause.nonRetryable, true);
    assert.match(err.cause.cause.message, /sync "prospects-cdc".*table "prospects" has no change tracking.*ALTER TABLE prospects SET CHANGE_TRACKING = TRUE/);
  });
});
