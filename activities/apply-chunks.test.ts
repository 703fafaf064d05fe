import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createConnectorContext } from '../connectors/context';
import { openDuckdbDriver } from '../state/duckdb-driver';
import { StateStore } from '../state/store';
import { makeApplyChunks } from './apply-chunks';

/** Activity test (MockActivityEnvironment) on a real state store and a real file destination. */
describe('applyChunks activity', () => {
  let dir: string;
  let store: StateStore;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-apply-'));
    store = new StateStore(await openDuckdbDriver(':memory:'));
    await store.migrate();
    await store.startRun({ runId: 'r1', sync: 's', specHash: 'h', workflowId: 'w' });
    const stage = await store.openStage('r1');
    for (let i = 1; i <= 5; i++) {
      await stage.append({ dest: 'files', key: String(i), cursor: null, destId: String(i), payload: JSON.stringify({ id: i, stage: 'lead' }) });
    }
    await stage.close();
    await store.diffDestination({ runId: 'r1', sync: 's', dest: 'files', mode: 'upsert', chunkSize: 2, detectRemoves: false, fullResync: false });
    // chunk 0 was acknowledged by an earlier attempt that then died
    const first = await store.readChunk('r1', 'files', 0);
    await store.recordChunk('r1', 'files', 0, first.map((c) => ({ seq: c.seq, key: c.key, status: 'ok' as const })));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips acknowledged chunks on retry, writes the rest, and heartbeats chunk progress', async () => {
    const env = new MockActivityEnvironment({ attempt: 2 });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const applyChunks = makeApplyChunks({ store, syncsDir: dir, connectorContext: createConnectorContext({ baseDir: dir }) });
    const result = await env.run(applyChunks, {
      sync: 's',
      runId: 'r1',
      primaryKey: 'id',
      destination: { name: 'files', kind: 'file', connection: { directory: 'out', format: 'jsonl' }, object: 'people', mode: 'upsert' as const, batchSize: 2, concurrency: 1, mapping: { id: 'id', stage: 'stage' } },
      slice: { from: 0, to: 3 },
    });
    const { bytesSent, ...counts } = result as Awaited<ReturnType<typeof applyChunks>>;
    assert.deepEqual(counts, { ok: 3, rejected: 0, retryable: 0, chunksWritten: 2, chunksSkipped: 1 });
    const chunkJson = (ids: number[]) => JSON.stringify(ids.map((id) => ({ id, stage: 'lead' }))).length;
    assert.equal(bytesSent, chunkJson([3, 4]) + chunkJson([5]), 'the payload bytes of the two chunks sent');
    assert.deepEqual(
      heartbeats.filter((h) => (h as { ok: number }).ok > 0).map((h) => ({ ...(h as object), bytesSent: undefined })),
      [
        { chunk: 1, ok: 2, rejected: 0, retryable: 0, bytesSent: undefined },
        { chunk: 2, ok: 3, rejected: 0, retryable: 0, bytesSent: undefined },
      ],
    );
    const parts = await readdir(path.join(dir, 'out', '.parts', 'people'));
    assert.equal(parts.length, 2, 'only the two unacknowledged chunks reached the destination');
    assert.deepEqual([...(await store.ackedChunks('r1', 'files', 0, 3))].sort(), [0, 1, 2]);
  });
});
