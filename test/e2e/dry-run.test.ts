/**
 * Dry run: `ebb plan` (and `options.dryRun` through the Temporal API) computes the full plan
 * (counts per destination, and the exact payloads of a sample after mapping and transforms,
 * read from the state store, never from history), writes nothing and commits nothing. The real
 * run afterwards sends exactly what the dry run showed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers } from '../helpers/warehouse';

describe('dry run', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dest: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    db = await createTestDatabase('ebb_dry_state');
    dest = await createTestDatabase('ebb_dry_dest');
    h = await createHarness({ stateUrl: db.url });
    await createCustomers(path.join(h.dir, 'warehouse.duckdb'), 250);
    process.env.EBB_DRY_DEST_URL = dest.url;
    await dest.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email_sha256 TEXT, stage TEXT)`);
    await writeFile(
      path.join(h.dir, 'dry.yaml'),
      'name: dry\nsource: { kind: duckdb, connection: { path: warehouse.duckdb } }\nmodel: { table: customers }\nprimaryKey: customer_id\n' +
        'destinations:\n  - name: pg\n    kind: postgres\n    connection: { url: { env: EBB_DRY_DEST_URL } }\n    object: contacts\n    batchSize: 100\n' +
        '    mapping: { id: customer_id, stage: { column: stage, transform: [uppercase] }, email_sha256: { column: email, transform: [trim, lowercase, sha256] } }\n',
    );
  });
  after(async () => {
    await h?.close();
    await dest?.drop();
    await db?.drop();
  });

  it('ebb plan shows counts and exact sample payloads, and writes and commits nothing', async () => {
    const r = await runCli(['plan', 'dry', '--sample', '3', '--json', '--syncs', h.dir], {
      TEMPORAL_ADDRESS: h.env.address,
      EBB_TASK_QUEUE: h.taskQueue,
      EBB_STATE_URL: db.url,
    });
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.status, 'dry-run');
    assert.deepEqual([plan.destinations[0].adds, plan.destinations[0].total, plan.destinations[0].ok], [250, 250, 0]);
    const sample = plan.samples.pg as Array<{ key: string; op: string; fields: Record<string, unknown> }>;
    assert.equal(sample.length, 3);
    const id = Number(sample[0].key);
    const expectedStage = ['lead', 'mql', 'sql', 'customer'][id % 4].toUpperCase(); // createCustomers' stages, uppercased by the mapping
    const expectedHash = createHash('sha256').update(`person.${id}@example.com`).digest('hex');
    assert.deepEqual(sample[0].fields, { email_sha256: expectedHash, id, stage: expectedStage }, 'mapped and transformed as the destination would receive it');

    assert.equal((await dest.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n, 0, 'nothing written');
    assert.equal(await h.store.snapshotSize('dry', 'pg'), 0, 'nothing committed');

    // The real run sends exactly what the dry run showed.
    const real = await h.run('dry');
    assert.equal(real.destinations[0].total, plan.destinations[0].total);
    for (const s of sample) {
      const [row] = (await dest.query('SELECT id, email_sha256, stage FROM contacts WHERE id = $1', [Number(s.key)])).rows;
      assert.deepEqual({ ...row, id: Number(row.id) }, s.fields);
    }
  });

  it('through the Temporal API: options.dryRun returns the plan and nothing moves', async () => {
    const handle = await h.start('dry', { dryRun: true, fullResync: true });
    const r = await handle.result();
    assert.equal(r.status, 'dry-run');
    assert.equal(r.destinations[0].resends, 250, 'a dry full resync would resend every row');
    assert.equal(r.destinations[0].ok, 0);
  });
});
