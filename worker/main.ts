/**
 * The ebb worker process: `npm run worker`. Connects to Temporal, opens the state store and
 * serves the `syncWorkflow` and its activities on the task queue until SIGINT/SIGTERM.
 */
// First: may replace this process with one whose heap is capped (worker/heap-cap.ts).
import './cap-heap-first';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createConnectorContext } from '../connectors/context';
import { requestBudgetFor } from '../state/request-budget';
import { openStateStore } from '../state/open';
import { workerConfigFromEnv } from './config';
import { startCpuProfile } from './cpu-profile';
import { createEbbWorker } from './create-worker';
import { redactingLogger } from './redacting-logger';
import { spanProcessorFromEnv } from './tracing';

async function main(): Promise<void> {
  const config = workerConfigFromEnv();
  const stopProfile = startCpuProfile();
  // Before any connection: the runtime owns telemetry. EBB_METRICS_ADDRESS (e.g. 0.0.0.0:9464)
  // serves the SDK's and ebb's metrics for Prometheus at /metrics.
  Runtime.install({
    logger: redactingLogger((process.env.EBB_LOG_LEVEL as LogLevel | undefined) ?? 'INFO'),
    ...(process.env.EBB_METRICS_ADDRESS ? { telemetryOptions: { metrics: { prometheus: { bindAddress: process.env.EBB_METRICS_ADDRESS } } } } : {}),
  });
  const store = await openStateStore(config.stateUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  // OTEL_EXPORTER_OTLP_ENDPOINT: workflow and activity spans go out over OTLP/HTTP.
  const spans = spanProcessorFromEnv();
  try {
    const worker = await createEbbWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      workflowBundle: { codePath: await workflowBundlePath() },
      deps: { store, syncsDir: config.syncsDir, connectorContext: createConnectorContext({ baseDir: config.baseDir, budget: requestBudgetFor(store) }) },
      spanProcessor: spans,
    });
    console.log(`ebb worker: task queue "${config.taskQueue}" on ${config.temporalAddress}, state ${redact(config.stateUrl)}`);
    logMemoryEvery(Number(process.env.EBB_MEMORY_LOG_MS ?? 0));
    await worker.run();
  } finally {
    await spans.shutdown().catch(() => undefined);
    await connection.close();
    await store.close();
    await stopProfile();
  }
}

/**
 * The workflow bundle: `EBB_WORKFLOW_BUNDLE` if set (built ahead, e.g. in an image), else built
 * now in a child process, so webpack's peak memory is never part of the worker's.
 */
async function workflowBundlePath(): Promise<string> {
  if (process.env.EBB_WORKFLOW_BUNDLE) return process.env.EBB_WORKFLOW_BUNDLE;
  const out = path.join(os.tmpdir(), `ebb-workflow-bundle-${process.pid}.js`);
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'scripts', 'bundle-workflows.ts'), out]);
  return out;
}

/** With EBB_MEMORY_LOG_MS set, logs the process's memory to stderr (for profiling the worker). */
function logMemoryEvery(ms: number): void {
  if (!ms) return;
  const mb = (n: number) => Math.round(n / 1e6);
  setInterval(() => {
    const m = process.memoryUsage();
    console.error(`memory rss=${mb(m.rss)} heapUsed=${mb(m.heapUsed)} heapTotal=${mb(m.heapTotal)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)}`);
  }, ms).unref();
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
