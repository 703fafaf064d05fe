import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { dataConverterFromEnv } from './codec/data-converter';
import { spanProcessorFromEnv, tracingWorkerOptions } from './tracing';

/** Options for {@link createEbbWorker}. */
export interface EbbWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built workflow bundle (tests build it once); otherwise bundled from workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption; default from `EBB_CODEC_KEYS` / `EBB_CODEC_KEYS_FILE` (none when unset). */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Where workflow and activity spans go; default from the OTEL_EXPORTER_OTLP_* variables (no-op when unset). */
  spanProcessor?: SpanProcessor;
  /** Extra worker options (concurrency limits, interceptors). */
  extra?: Partial<WorkerOptions>;
}

/** Builds an ebb worker: the sync workflow plus the activities wired to real dependencies. */
export async function createEbbWorker(o: EbbWorkerOptions): Promise<Worker> {
  return Worker.create({
    ...tracingWorkerOptions(o.spanProcessor ?? spanProcessorFromEnv()),
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(o.deps),
    maxConcurrentActivityTaskExecutions: 16,
    dataConverter: o.dataConverter ?? dataConverterFromEnv(),
    ...o.extra,
  });
}

export { NativeConnection };
