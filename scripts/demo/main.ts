/**
 * The demo: a real incremental sync on the embedded default.
 *  1. seeds a 100k-customer marketing warehouse in DuckDB;
 *  2. starts a CRM webhook receiver and an ebb worker (state in embedded DuckDB);
 *  3. runs `customers-to-crm` through Temporal: everything moves;
 *  4. changes some rows (updates, inserts, deletes) and runs again: only the changes move;
 *  5. prints run summaries and the Temporal UI links.
 * Expects the Temporal dev server on TEMPORAL_ADDRESS (scripts/demo.sh starts it).
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findSpec } from '../../connectors/spec-files';
import { createConnectorContext } from '../../connectors/context';
import type { SyncSpec } from '../../domain/spec/schema';
import { openStateStore } from '../../state/open';
import { startWebhookReceiver } from '../../test/servers/webhook-receiver';
import { createEbbWorker } from '../../worker/create-worker';
import { EbbSync } from '../../workflows/search-attributes';
import { syncWorkflowId, type SyncRunResult } from '../../workflows/types';
import { dataConverterFromEnv } from '../../worker/codec/data-converter';
import { tracingClientInterceptors } from '../../worker/tracing';
import { formatRunResult, uiLink } from '../cli/format';
import { mutateWarehouse, seedWarehouse } from './seed-warehouse';

const root = path.resolve(__dirname, '../..');
const demoDir = path.join(root, '.ebb', 'demo');
const customers = Number(process.env.EBB_DEMO_CUSTOMERS ?? 100_000);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the demo prints its own story
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  await rm(demoDir, { recursive: true, force: true });
  process.env.EBB_WEBHOOK_SECRET ??= randomBytes(24).toString('hex');

  step(`seeding ${customers.toLocaleString()} customers into ${path.relative(root, demoDir)}/warehouse.duckdb`);
  await seedWarehouse(path.join(demoDir, 'warehouse.duckdb'), { customers });

  const receiver = await startWebhookReceiver({ secret: process.env.EBB_WEBHOOK_SECRET, port: 8787 });
  step(`CRM webhook receiver listening on ${receiver.url}`);

  const { spec } = await findSpec(path.join(root, 'syncs'), 'customers-to-crm');
  const demoSpec = await withOptionalPostgres(spec);

  const store = await openStateStore(`duckdb:${path.join(demoDir, 'state.duckdb')}`);
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: dataConverterFromEnv(), interceptors: tracingClientInterceptors() });
  const taskQueue = 'ebb-demo';
  const worker = await createEbbWorker({
    connection: nativeConnection,
    taskQueue,
    deps: { store, syncsDir: path.join(root, 'syncs'), connectorContext: createConnectorContext({ baseDir: root }) },
  });

  const runSync = async (label: string): Promise<SyncRunResult> => {
    step(label);
    const handle = await client.workflow.start('syncWorkflow', {
      taskQueue,
      workflowId: syncWorkflowId(demoSpec.name),
      args: [{ spec: demoSpec }],
      typedSearchAttributes: [{ key: EbbSync, value: demoSpec.name }],
    });
    const result = (await handle.result()) as SyncRunResult;
    console.log(formatRunResult(result));
    console.log(`  Temporal UI: ${uiLink(handle.workflowId, handle.firstExecutionRunId)}`);
    return result;
  };

  try {
    await worker.runUntil(async () => {
      const first = await runSync('run 1: initial sync, every customer moves');
      const m = await mutateWarehouse(path.join(demoDir, 'warehouse.duckdb'), { updates: 1_000, inserts: 250, deletes: 100 });
      step(`changed the warehouse: ${m.updated} updates, ${m.inserted} inserts, ${m.deleted} deletes`);
      const second = await runSync('run 2: incremental, only the changes move');
      const third = await runSync('run 3: nothing changed, nothing moves');
      const crm = second.destinations.find((d) => d.destination === 'crm-webhook');
      step('summary');
      console.log(`  run 1 sent ${sent(first)} rows; run 2 sent ${sent(second)} (${crm?.changes} changed, ${crm?.adds} added, ${crm?.removes} removed per destination); run 3 sent ${sent(third)}`);
      console.log(`  CRM receiver now holds ${receiver.state.size.toLocaleString()} contacts; audience files in ${path.relative(root, demoDir)}/exports`);
      console.log(`  all runs: ${process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233'}/namespaces/default/workflows?query=${encodeURIComponent(`EbbSync="${demoSpec.name}"`)}`);
    });
  } finally {
    await receiver.close();
    await nativeConnection.close();
    await connection.close();
    await store.close();
  }
  console.log('\nThe Temporal dev server keeps running for the UI links; stop it with scripts/temporal-dev.sh stop');
}

function sent(r: SyncRunResult): number {
  return r.destinations.reduce((n, d) => n + d.ok + d.rejected, 0);
}

/** With EBB_DEMO_PG_URL set, the same customers also land in a PostgreSQL table. */
async function withOptionalPostgres(spec: SyncSpec): Promise<SyncSpec> {
  const url = process.env.EBB_DEMO_PG_URL;
  if (!url) return spec;
  const pg = await import('pg');
  const c = new pg.default.Client(url);
  await c.connect();
  await c.query(`CREATE TABLE IF NOT EXISTS ebb_demo_contacts (customer_id BIGINT PRIMARY KEY, email TEXT, lifecycle_stage TEXT, churn_score DOUBLE PRECISION)`);
  await c.end();
  process.env.EBB_DEMO_PG_URL_SECRET = url;
  step('EBB_DEMO_PG_URL set: adding the PostgreSQL table ebb_demo_contacts');
  return {
    ...spec,
    destinations: [
      ...spec.destinations,
      {
        name: 'postgres-contacts',
        kind: 'postgres',
        connection: { url: { env: 'EBB_DEMO_PG_URL_SECRET' } },
        object: 'ebb_demo_contacts',
        mode: 'mirror',
        batchSize: 2000,
        concurrency: 4,
        mapping: { customer_id: 'customer_id', email: 'email', lifecycle_stage: 'lifecycle_stage', churn_score: 'churn_score' },
      },
    ],
  };
}

function step(text: string): void {
  console.log(`\n▸ ${text}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
