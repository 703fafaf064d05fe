import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createConnectorContext } from '../../connectors/context';
import { requestBudgetFor } from '../../state/request-budget';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { openStateStore } from '../../state/open';
import type { StateStore } from '../../state/store';
import { createEbbWorker } from '../../worker/create-worker';
import { EbbSync } from '../../workflows/search-attributes';
import { syncWorkflowId, type SyncOptions, type SyncRunResult } from '../../workflows/types';
import { startTemporal, workflowBundle } from './temporal';

/** A real Temporal dev server, a real ebb worker and a real state store, for one test file. */
export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  store: StateStore;
  taskQueue: string;
  dir: string;
  /** Starts a sync the way platform teams do: workflow id `sync/<name>`, inline spec. */
  start(spec: SyncSpecInput | string, options?: SyncOptions): Promise<WorkflowHandleWithFirstExecutionRunId>;
  /** Starts a sync and waits for its result. */
  run(spec: SyncSpecInput | string, options?: SyncOptions): Promise<SyncRunResult>;
  close(): Promise<void>;
}

/** Options for {@link createHarness}. */
export interface HarnessOptions {
  /** State store URL; default an embedded DuckDB file in a temp dir. */
  stateUrl?: string;
  /** Folder of spec files for syncs started by name. */
  syncsDir?: string;
  /** Start no in-process worker (tests that run workers as child processes). */
  noWorker?: boolean;
  /** Where the worker's workflow and activity spans go (a no-op by default). */
  spanProcessor?: SpanProcessor;
  /** Payload encryption for the client and the worker (none by default). */
  dataConverter?: DataConverter;
}

export async function createHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-test-'));
  const env = await startTemporal({ dataConverter: o.dataConverter });
  const store = await openStateStore(o.stateUrl ?? `duckdb:${path.join(dir, 'state.duckdb')}`);
  const taskQueue = `ebb-test-${randomUUID().slice(0, 8)}`;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (!o.noWorker) {
    worker = await createEbbWorker({
      connection: env.nativeConnection,
      taskQueue,
      deps: { store, syncsDir: o.syncsDir ?? dir, connectorContext: createConnectorContext({ baseDir: dir, budget: requestBudgetFor(store) }) },
      workflowBundle: await workflowBundle(),
      // explicit, so a test's environment never turns encryption on by accident
      dataConverter: o.dataConverter ?? {},
      spanProcessor: o.spanProcessor,
    });
    running = worker.run();
  }
  const start = (spec: SyncSpecInput | string, options?: SyncOptions) => {
    const name = typeof spec === 'string' ? spec : spec.name;
    return env.client.workflow.start('syncWorkflow', {
      taskQueue,
      workflowId: syncWorkflowId(name),
      args: [{ spec, options }],
      typedSearchAttributes: [{ key: EbbSync, value: name }],
    });
  };
  return {
    env,
    client: env.client,
    store,
    taskQueue,
    dir,
    start,
    run: async (spec, options) => (await (await start(spec, options)).result()) as SyncRunResult,
    close: async () => {
      worker?.shutdown();
      await running;
      await store.close();
      await env.teardown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
