/**
 * Bad input gets a clear error and nothing is lost: a broken spec, an unreachable source, a
 * missing destination table and a bad credential each fail with a message naming the sync,
 * the step and the cause; non-retryable where retrying cannot help; nothing committed.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { startWebhookReceiver } from '../servers/webhook-receiver';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers } from '../helpers/warehouse';

/** Unwraps WorkflowFailedError → ActivityFailure → ApplicationFailure, asserting the chain. */
async function failureOf(p: Promise<unknown>): Promise<{ activity: ActivityFailure; app: ApplicationFailure }> {
  const err = await p.then(
    () => assert.fail('the run should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
  const activity = err.cause;
  assert.ok(activity instanceof ActivityFailure, `expected ActivityFailure, got ${String(activity)}`);
  const app = activity.cause;
  assert.ok(app instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(app)}`);
  return { activity, app };
}

describe('bad input', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let warehouse: string;

  const base = (over: Partial<SyncSpecInput> & { name: string }): SyncSpecInput => ({
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    destinations: [
      { name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_BAD_PG_URL' } }, object: 'contacts', mapping: { id: 'customer_id', email: 'email' } },
    ],
    ...over,
  });

  async function assertNothingCommitted(sync: string, dest: string) {
    assert.equal(await h.store.snapshotSize(sync, dest), 0, 'no snapshot row committed');
    assert.equal(await h.store.watermark(sync, dest), undefined, 'no watermark committed');
    const runs = await h.store.recentRuns(sync);
    for (const r of runs) assert.equal(r.status, 'failed');
  }

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_bad');
    process.env.EBB_BAD_PG_URL = db.url;
    process.env.EBB_BAD_SECRET = 'the-wrong-secret';
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 50);
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT)`);
    receiver = await startWebhookReceiver({ secret: 'the-right-secret' });
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('a broken spec fails at load-spec, non-retryably, naming every bad path', async () => {
    const broken = {
      name: 'Broken Name',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [{ name: 'pg', kind: 'postgres', connection: { url: 'postgres://inline:secret@x/y' }, object: 'contacts', mode: 'sideways', mapping: { id: 'customer_id' } }],
    };
    const { activity, app } = await failureOf(h.run(broken as unknown as SyncSpecInput));
    assert.equal(app.type, 'EbbConfigError');
    assert.equal(app.nonRetryable, true);
    assert.equal(activity.retryState, RetryState.NON_RETRYABLE_FAILURE);
    assert.match(app.message, /step=load-spec/);
    assert.match(app.message, /inline spec: invalid sync spec/);
    assert.match(app.message, /name: use lowercase/);
    assert.match(app.message, /destinations\[0\]\.mode/);
    assert.match(app.message, /destinations\[0\]\.connection\.url: a secret must be a reference/);
    assert.doesNotMatch(app.message, /inline:secret/, 'the inline secret is not echoed');
  });

  it('a broken spec file is named by `ebb validate`, with every bad path and exit code 1', async () => {
    const file = path.join(h.dir, 'bad.yaml');
    await writeFile(file, `name: bad\nsource: { kind: duckdb, connection: { path: x.duckdb } }\nmodel: { table: t }\nprimaryKey: id\ndestinations:\n  - { name: d, kind: webhook, object: o, batchSize: 0, mapping: { id: id }, connection: { url: 'http://x', signingSecret: plain } }\n`);
    const cli = await runCli(['validate', file]);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /bad\.yaml: invalid sync spec \(2 problems\)/);
    assert.match(cli.stdout, /destinations\[0\]\.batchSize/);
    assert.match(cli.stdout, /destinations\[0\]\.connection\.signingSecret/);
  });

  it('an unreachable source fails the plan with the cause, after bounded retries, committing nothing', async () => {
    process.env.EBB_BAD_SOURCE_URL = 'postgres://nobody@127.0.0.1:9/nowhere';
    const spec = base({ name: 'unreachable-source', source: { kind: 'postgres', connection: { url: { env: 'EBB_BAD_SOURCE_URL' } } } });
    const { activity, app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbTransientError');
    assert.equal(activity.retryState, RetryState.MAXIMUM_ATTEMPTS_REACHED);
    assert.match(app.message, /sync=unreachable-source step=plan/);
    assert.match(app.message, /ECONNREFUSED|connect|unreachable/i);
    await assertNothingCommitted('unreachable-source', 'pg');
  });

  it('a missing DuckDB warehouse file is a non-retryable config error naming the path', async () => {
    const spec = base({ name: 'missing-warehouse', source: { kind: 'duckdb', connection: { path: path.join(h.dir, 'nope.duckdb') } } });
    const { app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbConfigError');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /sync=missing-warehouse step=plan/);
    assert.match(app.message, /nope\.duckdb/);
    await assertNothingCommitted('missing-warehouse', 'pg');
  });

  it('a missing destination table fails the plan step non-retryably, before a row is read, naming the table; nothing is written or committed', async () => {
    const spec = base({
      name: 'missing-table',
      destinations: [{ name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_BAD_PG_URL' } }, object: 'no_such_table', mapping: { id: 'customer_id', email: 'email' } }],
    });
    const { activity, app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbConfigError');
    assert.equal(activity.retryState, RetryState.NON_RETRYABLE_FAILURE);
    assert.match(app.message, /sync=missing-table step=plan destination=pg/);
    assert.match(app.message, /no_such_table/);
    await assertNothingCommitted('missing-table', 'pg');
  });

  it('a model column the mapping needs is missing: config error naming the mapping path', async () => {
    const spec = base({
      name: 'missing-column',
      destinations: [{ name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_BAD_PG_URL' } }, object: 'contacts', mapping: { id: 'customer_id', email: 'e_mail' } }],
    });
    const { app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbConfigError');
    assert.match(app.message, /destinations\[0\]\.mapping\.email/);
    assert.match(app.message, /"e_mail" is not in the model/);
    await assertNothingCommitted('missing-column', 'pg');
  });

  it('mapped fields the destination lacks fail the plan before any write, naming each path and a near match', async () => {
    await db.query(`CREATE TABLE strict_contacts (id BIGINT PRIMARY KEY, email TEXT, region TEXT NOT NULL)`);
    const spec = base({
      name: 'unfit-mapping',
      destinations: [
        {
          name: 'pg',
          kind: 'postgres',
          connection: { url: { env: 'EBB_BAD_PG_URL' } },
          object: 'strict_contacts',
          mapping: { id: 'customer_id', Email: 'email', stage: 'stage' },
          provenance: { runId: 'synced_by_run' },
        },
      ],
    });
    const { activity, app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbConfigError');
    assert.equal(activity.retryState, RetryState.NON_RETRYABLE_FAILURE);
    assert.match(app.message, /sync=unfit-mapping step=plan destination=pg/);
    assert.match(app.message, /destinations\[0\]\.mapping\.Email \(pg\): strict_contacts has no field "Email" \(did you mean "email"\?\)/);
    assert.match(app.message, /destinations\[0\]\.mapping\.stage \(pg\): strict_contacts has no field "stage"/);
    assert.match(app.message, /destinations\[0\]\.provenance\.runId \(pg\): strict_contacts has no field "synced_by_run"/);
    assert.match(app.message, /strict_contacts\.region is required on create and the mapping does not set it/);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM strict_contacts')).rows[0].n, 0);
    await assertNothingCommitted('unfit-mapping', 'pg');
  });

  it('a bad credential fails non-retryably as an auth error; the destination is untouched', async () => {
    const spec = base({
      name: 'bad-credential',
      destinations: [
        { name: 'hook', kind: 'webhook', connection: { url: `${receiver.url}/x`, signingSecret: { env: 'EBB_BAD_SECRET' } }, object: 'contacts', mapping: { id: 'customer_id', email: 'email' } },
      ],
    });
    const { activity, app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbAuthError');
    assert.equal(activity.retryState, RetryState.NON_RETRYABLE_FAILURE);
    assert.match(app.message, /sync=bad-credential step=apply destination=hook/);
    assert.equal(receiver.state.size, 0);
    await assertNothingCommitted('bad-credential', 'hook');
  });

  it('a bad database credential is an auth error too', async () => {
    const u = new URL(db.url);
    u.username = 'no_such_role';
    process.env.EBB_BAD_ROLE_URL = u.toString();
    const spec = base({
      name: 'bad-role',
      destinations: [{ name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_BAD_ROLE_URL' } }, object: 'contacts', mapping: { id: 'customer_id', email: 'email' } }],
    });
    const { app } = await failureOf(h.run(spec));
    assert.equal(app.type, 'EbbAuthError');
    assert.match(app.message, /step=plan destination=pg/);
    assert.equal((await db.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n, 0);
  });
});
