/**
 * Replay tests: histories of syncWorkflow must replay against the current workflow code, so
 * a change that would break running workflows (non-determinism) fails here, before it lands.
 *   - the recorded histories in test/replay/histories/ (committed; each workflow change that
 *     alters histories adds a generation: EBB_RECORD_HISTORIES=<label> npm test -- test/replay/replay.test.ts;
 *     older generations stay, so histories of runs started by older workers keep replaying);
 *   - fresh histories of three paths run now: a two-destination run, a run that continues as
 *     new, and a failed run.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { createHarness, type Harness } from '../helpers/harness';
import { continuedAs, exportHistoryJson, type History } from '../helpers/history';
import { createTestDatabase } from '../helpers/postgres';
import { workflowBundle } from '../helpers/temporal';
import { createCustomers } from '../helpers/warehouse';

const fixtures = path.join(__dirname, 'histories');

async function replay(name: string, history: unknown): Promise<void> {
  await assert.doesNotReject(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name), `${name} replays`);
}

describe('replaying syncWorkflow histories', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  const fresh: Array<{ name: string; handle: WorkflowHandle }> = [];

  before(async () => {
    h = await createHarness();
    db = await createTestDatabase('ebb_replay');
    process.env.EBB_REPLAY_PG_URL = db.url;
    await db.query(`CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT, stage TEXT)`);
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 1_200);
  });
  after(async () => {
    await h?.close();
    await db?.drop();
  });

  const spec = (name: string, object = 'contacts'): SyncSpecInput => ({
    name,
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    destinations: [
      { name: 'pg', kind: 'postgres', connection: { url: { env: 'EBB_REPLAY_PG_URL' } }, object, mode: 'mirror', batchSize: 100, mapping: { id: 'customer_id', email: 'email', stage: 'stage' } },
      { name: 'files', kind: 'file', connection: { directory: 'exports', format: 'jsonl' }, object: 'customers', batchSize: 400, mapping: { id: 'customer_id', stage: 'stage' } },
    ],
  });

  it('records three paths on the real server', async () => {
    const ok = await h.start(spec('replay-ok'));
    await ok.result();
    fresh.push({ name: 'two-destinations', handle: ok });

    const can = await h.start(spec('replay-continue-as-new'), { rowsPerSlice: 100, maxHistoryEvents: 40 });
    const r = await can.result();
    assert.ok(r.segments > 1, `continued as new (${r.segments} segments)`);
    fresh.push({ name: 'continue-as-new', handle: can });

    const failed = await h.start(spec('replay-failed', 'missing_table'));
    await assert.rejects(failed.result());
    fresh.push({ name: 'failed', handle: failed });
  });

  it('replays every fresh history, every continue-as-new segment included', async () => {
    for (const { name, handle } of fresh) {
      let runId: string | undefined = handle.firstExecutionRunId;
      let segment = 0;
      while (runId) {
        const history: History = await h.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        await replay(`${name}#${segment}`, history);
        const label = process.env.EBB_RECORD_HISTORIES;
        if (label) {
          const file = `${label === '1' ? '' : `${label}-`}${name}-${segment}.json`;
          await writeFile(path.join(fixtures, file), exportHistoryJson(h.env.address, handle.workflowId, runId));
        }
        runId = continuedAs(history);
        segment++;
      }
    }
  });

  it('replays the recorded histories in test/replay/histories', async () => {
    const files = (await readdir(fixtures)).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 3, 'recorded histories are committed');
    for (const f of files) await replay(f, historyFromJSON(JSON.parse(await readFile(path.join(fixtures, f), 'utf8'))));
  });
});
