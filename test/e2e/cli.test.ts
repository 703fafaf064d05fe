/**
 * The `ebb` CLI against a real Temporal dev server and worker: validate, run (start, wait,
 * progress, summary, exit code) and runs (from Temporal's visibility), with --json.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers } from '../helpers/warehouse';

function ebb(h: Harness, args: string[]) {
  return runCli(args, { TEMPORAL_ADDRESS: h.env.address, EBB_TASK_QUEUE: h.taskQueue });
}

describe('ebb CLI', () => {
  let h: Harness;
  let syncs: string;

  before(async () => {
    h = await createHarness();
    syncs = path.join(h.dir, 'syncs');
    await mkdir(syncs);
    await createCustomers(path.join(h.dir, 'warehouse.duckdb'), 500);
    await writeFile(
      path.join(syncs, 'cli-sync.yaml'),
      [
        'name: cli-sync',
        'source: { kind: duckdb, connection: { path: warehouse.duckdb } }',
        'model: { table: customers }',
        'primaryKey: customer_id',
        'destinations:',
        '  - name: files',
        '    kind: file',
        '    connection: { directory: exports }',
        '    object: customers',
        '    batchSize: 100',
        '    mapping: { id: customer_id, stage: stage }',
        '',
      ].join('\n'),
    );
  });
  after(async () => h?.close());

  it('validate says ok and exits 0', async () => {
    const r = await ebb(h, ['validate', '--syncs', syncs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok\s+.*cli-sync\.yaml \(cli-sync\)/m);
  });

  it('run starts the sync through Temporal, waits, and prints the result as JSON', async () => {
    const r = await ebb(h, ['run', 'cli-sync', '--syncs', syncs, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.sync, 'cli-sync');
    assert.equal(result.destinations[0].ok, 500);
    assert.equal(result.destinations[0].committed, 500);
    const described = await h.client.workflow.getHandle('sync/cli-sync').describe();
    assert.equal(await described.staticSummary(), 'ebb sync cli-sync');
    assert.match((await described.staticDetails()) ?? '', /\*\*files\*\*: file `customers`, upsert, batches of 100/);
  });

  it('run prints a human summary with the Temporal UI link', async () => {
    const r = await ebb(h, ['run', 'cli-sync', '--syncs', syncs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /started sync\/cli-sync run .*\n\s+http:\/\/localhost:8233\/namespaces\/default\/workflows\/sync%2Fcli-sync\//);
    assert.match(r.stdout, /→ files\s+planned 0 \(adds 0, changes 0, removes 0, unchanged 500\)/);
  });

  it('a platform team starts the sync by name from a plain Temporal client, with plain JSON', async () => {
    // The worker resolves names in its syncs folder (here the harness's), like EBB_SYNCS_DIR.
    await writeFile(path.join(h.dir, 'by-name.yaml'), (await readFile(path.join(syncs, 'cli-sync.yaml'), 'utf8')).replace('name: cli-sync', 'name: by-name'));
    const result = await h.client.workflow.execute('syncWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: 'sync/by-name',
      args: [{ spec: 'by-name', options: { fullResync: false } }],
    });
    assert.equal(result.sync, 'by-name');
    assert.equal(result.destinations[0].committed, 500);
  });

  it('runs lists the runs of a sync from Temporal', async () => {
    let rows: Array<{ workflowId: string; status: string }> = [];
    // visibility is eventually consistent: give it a moment
    for (let i = 0; i < 20 && rows.length < 2; i++) {
      const r = await ebb(h, ['runs', '--sync', 'cli-sync', '--json']);
      assert.equal(r.code, 0, r.stderr);
      rows = JSON.parse(r.stdout);
      if (rows.length < 2) await new Promise((res) => setTimeout(res, 500));
    }
    assert.equal(rows.length, 2);
    assert.ok(rows.every((x) => x.workflowId === 'sync/cli-sync' && x.status === 'COMPLETED'));
  });

  it('an unknown sync fails with exit code 1 and names what it knows', async () => {
    const r = await ebb(h, ['run', 'nope', '--syncs', syncs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no sync named "nope".*known: cli-sync/);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await ebb(h, ['run'])).code, 2);
    assert.equal((await ebb(h, ['frobnicate'])).code, 2);
  });
});
