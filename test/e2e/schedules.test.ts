/**
 * `ebb schedule …` on a real Temporal dev server with a real worker: a schedule created from
 * the CLI starts real sync runs (by sync name), and pause, trigger, update, backfill, list and
 * delete all act on the Temporal Schedule.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers } from '../helpers/warehouse';

describe('ebb schedule', () => {
  let h: Harness;

  const ebb = (...args: string[]) => runCli([...args, '--syncs', h.dir], { TEMPORAL_ADDRESS: h.env.address, EBB_TASK_QUEUE: h.taskQueue });

  /** Completed runs of the sync, from Temporal's visibility. */
  async function completedRuns(): Promise<number> {
    let n = 0;
    for await (const wf of h.client.workflow.list({ query: `EbbSync = 'sched-sync' AND ExecutionStatus = 'Completed'` })) if (wf) n++;
    return n;
  }

  async function runningRuns(): Promise<number> {
    let n = 0;
    for await (const wf of h.client.workflow.list({ query: `EbbSync = 'sched-sync' AND ExecutionStatus = 'Running'` })) if (wf) n++;
    return n;
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  before(async () => {
    h = await createHarness();
    await createCustomers(path.join(h.dir, 'warehouse.duckdb'), 200);
    // The worker resolves scheduled runs by name in its syncs folder (here the harness's dir).
    await writeFile(
      path.join(h.dir, 'sched-sync.yaml'),
      'name: sched-sync\nsource: { kind: duckdb, connection: { path: warehouse.duckdb } }\nmodel: { table: customers }\nprimaryKey: customer_id\n' +
        'destinations:\n  - { name: files, kind: file, connection: { directory: exports }, object: c, batchSize: 100, mapping: { id: customer_id, stage: stage } }\n',
    );
  });
  after(async () => {
    await ebb('schedule', 'delete', 'sched-sync');
    await h?.close();
  });

  it('create starts real runs on an interval, with SKIP overlap by default', async () => {
    const r = await ebb('schedule', 'create', 'sched-sync', '--every', '2s', '--catchup-window', '1m', '--json');
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout);
    assert.equal(created.scheduleId, 'sync/sched-sync');
    assert.equal(created.overlap, 'SKIP');
    assert.deepEqual(created.intervals, [2_000]);
    await waitFor('a scheduled run to complete', async () => (await completedRuns()) >= 1);
  });

  it('refuses to schedule a sync that does not exist', async () => {
    const r = await ebb('schedule', 'create', 'no-such-sync', '--every', '1h');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no sync named "no-such-sync"/);
  });

  it('pause stops the runs, with a note; trigger still runs one now', async () => {
    const paused = JSON.parse((await ebb('schedule', 'pause', 'sched-sync', '--note', 'warehouse maintenance', '--json')).stdout);
    assert.equal(paused.paused, true);
    assert.equal(paused.note, 'warehouse maintenance');
    // let a run already in flight finish: with SKIP, a trigger during a run would be skipped
    await waitFor('no run in flight', async () => (await runningRuns()) === 0);
    const before = await completedRuns();
    assert.equal((await ebb('schedule', 'trigger', 'sched-sync')).code, 0);
    await waitFor('the triggered run', async () => (await completedRuns()) >= before + 1);
  });

  it('update switches to a cron in a time zone; backfill runs the missed times one after another', async () => {
    const updated = JSON.parse((await ebb('schedule', 'update', 'sched-sync', '--cron', '0 3 * * *', '--tz', 'Europe/Paris', '--json')).stdout);
    assert.equal(updated.timezone, 'Europe/Paris');
    assert.equal(updated.intervals.length, 0);
    assert.equal(updated.calendars.length, 1);
    const before = await completedRuns();
    const to = new Date();
    const from = new Date(to.getTime() - 2 * 86_400_000 - 60_000); // two 03:00 Paris times fall in any 2-day window
    const r = await ebb('schedule', 'backfill', 'sched-sync', '--from', from.toISOString(), '--to', to.toISOString());
    assert.equal(r.code, 0, r.stderr);
    await waitFor('two backfilled runs', async () => (await completedRuns()) >= before + 2);
  });

  it('list shows the schedule; delete removes it', async () => {
    const listed = JSON.parse((await ebb('schedule', 'list', '--json')).stdout) as Array<{ sync: string; paused: boolean }>;
    assert.deepEqual(listed.map((s) => [s.sync, s.paused]), [['sched-sync', true]]);
    assert.equal((await ebb('schedule', 'delete', 'sched-sync')).code, 0);
    assert.deepEqual(JSON.parse((await ebb('schedule', 'list', '--json')).stdout), []);
    const gone = await ebb('schedule', 'pause', 'sched-sync');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no schedule for sync sched-sync/);
  });

  it('bad flags are usage errors naming the flag', async () => {
    const r = await ebb('schedule', 'create', 'sched-sync', '--every', 'often');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--every "often"/);
  });
});
